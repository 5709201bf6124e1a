package io.pgshift.app.connect;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.pgshift.app.config.MigrationConfig;

/**
 * The Kafka Connect REST API, as documented for Kafka 3.5 and later
 * (<a href="https://kafka.apache.org/documentation/#connect_rest">Connect REST interface</a>): connector configs, their validation,
 * status, committed source offsets, stop and delete. Every call has a 60 s timeout; a refusal throws {@link ConnectException} with
 * Connect's own message. Credentials go in a basic-auth header, never in a URL or a message.
 */
public final class ConnectClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A Connect refusal or an unreachable worker: the method, the path and Connect's message. */
    public static final class ConnectException extends RuntimeException {
        private final int status;

        ConnectException(String message, int status, Throwable cause) {
            super(message, cause);
            this.status = status;
        }

        /** The HTTP status, or −1 when the worker could not be reached. */
        public int status() {
            return status;
        }
    }

    /** One task of a connector: its id, state (RUNNING, FAILED, …), the worker running it, and the failure's trace when FAILED. */
    public record TaskState(int id, String state, String workerId, String trace) {
    }

    /**
     * A connector's state and its tasks.
     *
     * @param state RUNNING, PAUSED, STOPPED, FAILED, UNASSIGNED, or RESTARTING
     */
    public record ConnectorState(String name, String state, String workerId, String trace, List<TaskState> tasks) {

        /** The first failure of the connector or a task, named with its trace's first line; empty when none failed. */
        public Optional<String> failure() {
            if ("FAILED".equals(state)) {
                return Optional.of("connector " + name + " FAILED on worker " + workerId + ": " + firstLines(trace));
            }
            for (TaskState t : tasks) {
                if ("FAILED".equals(t.state())) {
                    return Optional.of("task " + name + "-" + t.id() + " FAILED on worker " + t.workerId() + ": " + firstLines(t.trace()));
                }
            }
            return Optional.empty();
        }

        /** Whether the connector and at least one task run, and no task is in another state. */
        public boolean running() {
            return "RUNNING".equals(state) && !tasks.isEmpty() && tasks.stream().allMatch(t -> "RUNNING".equals(t.state()));
        }

        private static String firstLines(String trace) {
            if (trace == null) {
                return "(no trace)";
            }
            // The exception and its first causes: Connect's trace holds the whole stack.
            StringBuilder b = new StringBuilder();
            for (String line : trace.split("\n")) {
                String l = line.strip();
                if (l.startsWith("at ") || l.startsWith("...") || l.isEmpty()) {
                    continue;
                }
                if (b.length() > 0) {
                    b.append(" | ");
                }
                b.append(l);
                if (b.length() > 1500) {
                    break;
                }
            }
            return b.toString();
        }
    }

    /** One key Connect's validation refused, with its messages. */
    public record ConfigError(String key, List<String> errors) {
    }

    private final String base;
    private final String authorization;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public ConnectClient(MigrationConfig.Connect connect) {
        this.base = connect.url().replaceAll("/+$", "");
        this.authorization = connect.user() == null ? null : "Basic " + Base64.getEncoder().encodeToString(
                (connect.user() + ":" + connect.password().reveal()).getBytes(StandardCharsets.UTF_8));
    }

    public String url() {
        return base;
    }

    /**
     * Validates a connector configuration with its plugin ({@code PUT /connector-plugins/<class>/config/validate}).
     *
     * @return the keys with errors, empty when the configuration is valid
     */
    public List<ConfigError> validate(Map<String, String> config) {
        String plugin = config.get("connector.class");
        JsonNode result = send("PUT", "/connector-plugins/" + encode(plugin.substring(plugin.lastIndexOf('.') + 1)) + "/config/validate", config);
        List<ConfigError> errors = new ArrayList<>();
        for (JsonNode c : result.path("configs")) {
            JsonNode value = c.path("value");
            List<String> messages = new ArrayList<>();
            value.path("errors").forEach(e -> messages.add(e.asText()));
            if (!messages.isEmpty()) {
                errors.add(new ConfigError(value.path("name").asText(), messages));
            }
        }
        return errors;
    }

    /** The Kafka version of the worker answering ({@code GET /}). */
    public String version() {
        return send("GET", "/", null).path("version").asText();
    }

    /**
     * The plugin classes the worker has ({@code GET /connector-plugins}).
     *
     * @param connectorsOnly false to list converters, transformations and predicates too
     */
    public List<String> plugins(boolean connectorsOnly) {
        List<String> classes = new ArrayList<>();
        send("GET", "/connector-plugins?connectorsOnly=" + connectorsOnly, null).forEach(p -> classes.add(p.path("class").asText()));
        return classes;
    }

    /** Creates the connector, or updates its configuration ({@code PUT /connectors/<name>/config}). */
    public void putConfig(String name, Map<String, String> config) {
        send("PUT", "/connectors/" + encode(name) + "/config", config);
    }

    /** The connector's configuration, or empty when there is no such connector. */
    public Optional<Map<String, String>> config(String name) {
        try {
            JsonNode node = send("GET", "/connectors/" + encode(name) + "/config", null);
            Map<String, String> config = new LinkedHashMap<>();
            node.properties().forEach(e -> config.put(e.getKey(), e.getValue().asText()));
            return Optional.of(config);
        }
        catch (ConnectException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** The connector's state and its tasks ({@code GET /connectors/<name>/status}), or empty when there is no such connector. */
    public Optional<ConnectorState> status(String name) {
        JsonNode node;
        try {
            node = send("GET", "/connectors/" + encode(name) + "/status", null);
        }
        catch (ConnectException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
        List<TaskState> tasks = new ArrayList<>();
        for (JsonNode t : node.path("tasks")) {
            tasks.add(new TaskState(t.path("id").asInt(), t.path("state").asText(), t.path("worker_id").asText(), textOrNull(t.path("trace"))));
        }
        JsonNode c = node.path("connector");
        return Optional.of(new ConnectorState(name, c.path("state").asText(), c.path("worker_id").asText(), textOrNull(c.path("trace")), tasks));
    }

    /**
     * The committed source offsets of a source connector ({@code GET /connectors/<name>/offsets}, Kafka 3.5+): what its tasks wrote and
     * Kafka acknowledged, every record before included.
     *
     * @return each source partition's offset map
     */
    public List<JsonNode> sourceOffsets(String name) {
        List<JsonNode> offsets = new ArrayList<>();
        send("GET", "/connectors/" + encode(name) + "/offsets", null).path("offsets").forEach(o -> offsets.add(o.path("offset")));
        return offsets;
    }

    /** Restarts the connector's failed instances and tasks ({@code POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true}). */
    public void restartFailed(String name) {
        send("POST", "/connectors/" + encode(name) + "/restart?includeTasks=true&onlyFailed=true", null);
    }

    /** Stops the connector and its tasks, keeping its configuration and offsets ({@code PUT /connectors/<name>/stop}). */
    public void stop(String name) {
        send("PUT", "/connectors/" + encode(name) + "/stop", null);
    }

    /** Deletes a stopped connector's committed offsets ({@code DELETE /connectors/<name>/offsets}, Kafka 3.6+). */
    public void resetOffsets(String name) {
        send("DELETE", "/connectors/" + encode(name) + "/offsets", null);
    }

    /** Resumes a stopped or paused connector ({@code PUT /connectors/<name>/resume}). */
    public void resume(String name) {
        send("PUT", "/connectors/" + encode(name) + "/resume", null);
    }

    /** Deletes the connector; true when it existed. */
    public boolean delete(String name) {
        try {
            send("DELETE", "/connectors/" + encode(name), null);
            return true;
        }
        catch (ConnectException e) {
            if (e.status() == 404) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Sends one request; while the cluster rebalances (Connect answers 409, or 500 "a rebalance is expected", for requests it cannot
     * serve until the group settles) it is sent again, with a growing pause, for up to two minutes.
     */
    private JsonNode send(String method, String path, Object body) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(2);
        long pause = 250;
        while (true) {
            try {
                return sendOnce(method, path, body);
            }
            catch (ConnectException e) {
                boolean rebalancing = e.status() == 409 || e.status() == 500 && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("rebalanc");
                if (!rebalancing || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(pause);
                }
                catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                pause = Math.min(pause * 2, 5000);
            }
        }
    }

    private JsonNode sendOnce(String method, String path, Object body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Accept", "application/json").header("Content-Type", "application/json");
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        try {
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            HttpResponse<String> response = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                String message = response.body();
                try {
                    message = JSON.readTree(response.body()).path("message").asText(response.body());
                }
                catch (IOException e) {
                    // not JSON: the body as it is
                }
                throw new ConnectException("Kafka Connect at " + base + " refused " + method + " " + path + " (HTTP " + response.statusCode() + "): "
                        + message, response.statusCode(), null);
            }
            return response.body() == null || response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
        }
        catch (IOException e) {
            throw new ConnectException("Cannot reach Kafka Connect at " + base + " (" + method + " " + path + "): " + e + "; check connect.url and"
                    + " that a worker runs", -1, e);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("Interrupted while calling Kafka Connect at " + base, -1, e);
        }
    }

    private static String textOrNull(JsonNode n) {
        return n.isMissingNode() || n.isNull() ? null : n.asText();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
