package io.pgshift.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real schema registry with the Confluent REST API, for the tests: Apicurio Registry (in-memory storage) built by the module
 * {@code connectors/schema-registry} and run here as a process of its own on 127.0.0.1, on a port it picks, as the test kit runs
 * PostgreSQL from its binaries. Its Confluent-compatible API is {@link #confluentUrl()} ({@code /apis/ccompat/v7}), Apicurio's own
 * {@link #registryUrl()} ({@code /apis/registry/v2}). {@link #close()} stops it; a shutdown hook stops it with the JVM.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {

    /** Where the build puts the registry, relative to the project root. */
    static final Path RUNNER = Path.of("connectors", "schema-registry", "target", "pgshift-schema-registry-runner.jar");
    private static final Pattern LISTENING = Pattern.compile("Listening on: http://127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    private final int port;
    private final Thread hook;

    private EmbeddedSchemaRegistry(Process process, int port) {
        this.process = process;
        this.port = port;
        this.hook = new Thread(process::destroyForcibly, "pgshift-schema-registry-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Starts a registry and waits until it listens (about 3 s; at most 120 s).
     *
     * @param logFile where the registry's output goes
     * @throws IllegalStateException when the registry was not built (naming the command that builds it), or did not start in time
     */
    public static EmbeddedSchemaRegistry start(Path logFile) throws IOException, InterruptedException {
        Path jar = runnerJar();
        Files.createDirectories(logFile.toAbsolutePath().getParent());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-Xmx192m", "-XX:+UseSerialGC", "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=0",
                "-Dquarkus.datasource.jdbc.min-size=1", "-jar", jar.toString()))
                .redirectErrorStream(true).start();
        CompletableFuture<Integer> listening = new CompletableFuture<>();
        Thread pump = new Thread(() -> pump(p, logFile, listening), "pgshift-schema-registry-output");
        pump.setDaemon(true);
        pump.start();
        try {
            return new EmbeddedSchemaRegistry(p, listening.get(120, TimeUnit.SECONDS));
        }
        catch (ExecutionException | TimeoutException e) {
            p.destroyForcibly();
            throw new IllegalStateException("The schema registry (" + jar + ") did not start within 120 s; its output is in " + logFile, e);
        }
    }

    /** Copies the registry's output to the log file, and completes {@code listening} with the port it reports. */
    private static void pump(Process p, Path logFile, CompletableFuture<Integer> listening) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             OutputStream log = Files.newOutputStream(logFile)) {
            String line;
            while ((line = in.readLine()) != null) {
                log.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                log.flush();
                Matcher m = LISTENING.matcher(line);
                if (!listening.isDone() && m.find()) {
                    listening.complete(Integer.parseInt(m.group(1)));
                }
            }
        }
        catch (IOException e) {
            listening.completeExceptionally(e);
        }
        if (!listening.isDone()) {
            // Its output ended before it said where it listens: it stopped, or is stopping.
            listening.completeExceptionally(new IllegalStateException("the registry's output ended before it listened"
                    + (p.isAlive() ? "" : " (exit " + p.exitValue() + ")")));
        }
    }

    /** The built registry, found from the working directory or one of its parents (the project root or a module of it). */
    static Path runnerJar() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path jar = dir.resolve(RUNNER);
            if (Files.isRegularFile(jar)) {
                return jar;
            }
        }
        throw new IllegalStateException("The tests' schema registry is not built (" + RUNNER + " under the project root). Build it with"
                + " 'mvn -B -DskipTests -pl connectors/schema-registry package' (the full build does it first).");
    }

    /** The registry's base URL, {@code http://127.0.0.1:<port>}. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The Confluent Schema Registry REST API, as Confluent's clients and converters take it. */
    public String confluentUrl() {
        return url() + "/apis/ccompat/v7";
    }

    /** Apicurio's own REST API, as Apicurio's converters take it ({@code apicurio.registry.url}). */
    public String registryUrl() {
        return url() + "/apis/registry/v2";
    }

    public int port() {
        return port;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
    }
}
