package io.pgshift.app.coordinator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The coordinator's HTTP server (JDK's built-in one): {@code /} a live page of the migration, {@code /status} the status JSON,
 * {@code /report} the last cutover report, {@code /metrics} Prometheus, {@code /healthz} 200 unless the migration failed. Read-only:
 * commands go through the control topic.
 */
final class StatusServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StatusServer.class);
    private static final String PAGE = "/io/pgshift/app/web/index.html";

    private final HttpServer server;

    private StatusServer(HttpServer server) {
        this.server = server;
    }

    static StatusServer start(String host, int port, Supplier<MigrationStatus> status, Supplier<CutoverReport> report, MigrationMetrics metrics)
            throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        }
        catch (java.net.BindException e) {
            throw new IOException("Cannot listen on " + host + ":" + port + " for the status page (" + e.getMessage() + "): another process uses"
                    + " that port. Set http.port to a free port, 0 for any, or -1 for no HTTP server.", e);
        }
        byte[] page = page();
        server.createContext("/", ex -> {
            if (!"/".equals(ex.getRequestURI().getPath()) && !"/index.html".equals(ex.getRequestURI().getPath())) {
                send(ex, 404, "text/plain; charset=utf-8", "Not found. Try /, /status, /report, /metrics or /healthz.\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            send(ex, 200, "text/html; charset=utf-8", page);
        });
        server.createContext("/status", ex -> {
            MigrationStatus s = status.get();
            send(ex, 200, "application/json", StatusTopic.pretty(s).getBytes(StandardCharsets.UTF_8));
        });
        server.createContext("/report", ex -> {
            CutoverReport r = report.get();
            if (r == null) {
                send(ex, 404, "application/json", "{\"message\":\"no cutover has run yet\"}".getBytes(StandardCharsets.UTF_8));
            }
            else {
                send(ex, 200, "application/json", StatusTopic.pretty(r).getBytes(StandardCharsets.UTF_8));
            }
        });
        server.createContext("/metrics", ex -> send(ex, 200, MigrationMetrics.CONTENT_TYPE,
                metrics.scrape().getBytes(StandardCharsets.UTF_8)));
        server.createContext("/healthz", ex -> {
            MigrationStatus s = status.get();
            boolean failed = s.phase() == Phase.FAILED && s.cutover() == null;
            String body = failed ? "failed: " + s.reason() + "\n" : "ok " + s.phase() + "\n";
            send(ex, failed ? 503 : 200, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
        });
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "pgshift-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        LOG.info("Status page on http://{}:{}/ (also /status, /metrics, /healthz)", host, server.getAddress().getPort());
        return new StatusServer(server);
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static byte[] page() throws IOException {
        try (InputStream in = StatusServer.class.getResourceAsStream(PAGE)) {
            if (in == null) {
                throw new IOException("Missing resource " + PAGE);
            }
            return in.readAllBytes();
        }
    }

    private static void send(HttpExchange ex, int code, String contentType, byte[] body) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
                ex.sendResponseHeaders(405, -1);
                return;
            }
            ex.getResponseHeaders().set("Content-Type", contentType);
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            ex.sendResponseHeaders(code, "HEAD".equals(ex.getRequestMethod()) ? -1 : body.length);
            if (!"HEAD".equals(ex.getRequestMethod())) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
