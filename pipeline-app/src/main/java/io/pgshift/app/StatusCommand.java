package io.pgshift.app;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.coordinator.ControlClient;

/** {@code pgshift status}: the migration's latest status from its status topic, as a table or JSON, once or refreshed. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the migration's phase, per-table full-load progress, changes applied, pending changes, WAL lag and latency, from"
                + " the status topic pgshift.<name>.status.")
final class StatusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = { "-c", "--config" }, required = true, description = "The migration's YAML file.")
    Path config;

    @Option(names = "--json", description = "Print the status JSON (fields phase, pendingChanges, latencyMs, databases[].tables[] ...).")
    boolean json;

    @Option(names = "--watch", description = "Refresh every 2 seconds until interrupted.")
    boolean watch;

    @Override
    public Integer call() throws Exception {
        MigrationConfig cfg = MigrationConfigLoader.load(config);
        PrintWriter out = spec.commandLine().getOut();
        try (ControlClient client = new ControlClient(cfg)) {
            do {
                Optional<JsonNode> status = client.latestStatus();
                if (status.isEmpty()) {
                    spec.commandLine().getErr().println("pgshift: migration '" + cfg.name() + "' has published no status yet: start it with"
                            + " 'pgshift migrate -c " + config + "'.");
                    return 1;
                }
                if (watch && !json) {
                    out.print("\033[H\033[2J");
                }
                if (json) {
                    out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(status.get()));
                }
                else {
                    printTable(out, status.get(), client.isLive(status.get()));
                }
                out.flush();
                if (watch) {
                    Thread.sleep(2000);
                }
            } while (watch);
        }
        return 0;
    }

    static void printTable(PrintWriter out, JsonNode s, boolean live) {
        long age = ControlClient.age(s).toSeconds();
        out.printf("Migration %s: %s%s%n", s.path("migration").asText(), s.path("phase").asText(),
                live ? "" : s.path("running").asBoolean() ? "   (last update " + age + " s ago: is 'pgshift migrate' running?)"
                        : "   (stopped " + age + " s ago)");
        if (s.hasNonNull("reason")) {
            out.println("  " + s.get("reason").asText());
        }
        JsonNode cut = s.path("cutover");
        if (!cut.isMissingNode() && !cut.isNull()) {
            out.printf("Cutover %s: %s%s%n", cut.path("commandId").asText(), cut.hasNonNull("result") ? cut.get("result").asText() : "step " + cut.path("step").asText(),
                    cut.path("sourceFrozen").asBoolean() ? " (source frozen)" : "");
        }
        out.printf("Pending changes %,d   WAL not captured %,d bytes   latency %s%n", s.path("pendingChanges").asLong(), s.path("pendingWalBytes").asLong(),
                s.path("latencyMs").asLong() < 0 ? "-" : s.path("latencyMs").asLong() + " ms");
        for (JsonNode db : s.path("databases")) {
            out.println();
            out.printf("%s -> %s   full load %s (%,d of ~%,d rows)   pending %,d   slot %s%n", db.path("source").asText(), db.path("target").asText(),
                    db.path("loadState").asText(), db.path("rowsLoaded").asLong(), db.path("rowsExpected").asLong(), db.path("pendingChanges").asLong(),
                    db.path("slot").asText());
            if (db.hasNonNull("error")) {
                out.println("  error: " + db.get("error").asText());
            }
            JsonNode connect = db.path("connect");
            if (connect.isObject()) {
                long lag = 0;
                for (JsonNode p : connect.path("partitions")) {
                    lag += p.path("lag").asLong();
                }
                out.printf("  Kafka Connect: source %s %s, sink %s %s; consumer group %s lag %,d records over %d partitions%n",
                        connect.path("sourceConnector").asText(), connect.path("sourceState").asText(), connect.path("sinkConnector").asText(),
                        connect.path("sinkState").asText(), connect.path("consumerGroup").asText(), lag, connect.path("partitions").size());
                for (JsonNode t : connect.path("tasks")) {
                    out.println("    task " + t.asText());
                }
            }
            for (JsonNode h : db.path("schemaChangesHeld")) {
                List<String> tables = new java.util.ArrayList<>();
                h.path("tables").forEach(t -> tables.add(t.asText()));
                out.printf("  HELD schema change %d (%s): %s%n    holds %s: %s%n    fix: %s%n", h.path("id").asLong(), h.path("tag").asText(),
                        oneLine(h.path("statement").asText()), tables.isEmpty() ? "no table, only the cutover" : "table(s) " + String.join(", ", tables),
                        h.path("reason").asText(), h.path("fix").asText());
            }
            out.printf("  %-32s %-10s %12s %12s %10s %9s %9s %9s %9s %6s  %s%n", "table", "load", "rows", "expected", "load time", "inserts", "updates",
                    "deletes", "truncates", "errors", "validated online");
            for (JsonNode t : db.path("tables")) {
                out.printf("  %-32s %-10s %,12d %,12d %10s %,9d %,9d %,9d %,9d %,6d  %s%n", t.path("table").asText(), t.path("loadState").asText(),
                        t.path("rowsLoaded").asLong(), t.path("rowsExpected").asLong(),
                        t.hasNonNull("loadDurationMs") ? String.format("%.1f s", t.get("loadDurationMs").asLong() / 1000.0) : "-",
                        t.path("inserts").asLong(), t.path("updates").asLong(), t.path("deletes").asLong(), t.path("truncates").asLong(), t.path("errors").asLong(),
                        validation(t.path("validation")) + (t.hasNonNull("heldBy") ? "   HELD by schema change " + t.get("heldBy").asLong() : ""));
            }
        }
    }

    private static String oneLine(String s) {
        String one = s.replaceAll("\\s+", " ").strip();
        return one.length() > 200 ? one.substring(0, 200) + "..." : one;
    }

    /** A table's last online validation pass in a few words: "-" before it. */
    static String validation(JsonNode v) {
        if (!v.isObject()) {
            return "-";
        }
        if ("equal".equals(v.path("state").asText())) {
            return String.format("equal in %,d chunks at LSN %s", v.path("chunks").asInt(), v.path("sourceLsn").asText());
        }
        StringBuilder b = new StringBuilder(String.format("%d of %,d chunks DIFFER", v.path("differingChunks").asInt(), v.path("chunks").asInt()));
        for (JsonNode d : v.path("differences")) {
            b.append("; ").append(d.path("range").asText()).append(": ").append(d.path("rows"));
        }
        return b.toString();
    }
}
