package io.pgshift.app;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.coordinator.ControlClient;
import io.pgshift.app.coordinator.Validation;
import io.pgshift.core.control.ControlCommand;

/**
 * {@code pgshift validate}: every table compared in chunks on both sides ({@code Validation}). With the migration running, the
 * coordinator does it (a chunk that differs is compared again after a proven catch-up); otherwise it compares directly. Exit 0 when
 * every table is equal, 1 when one differs; per table and per differing range, with the keys of differing rows.
 */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Compare every selected table of source and target in chunks (ranges of its key): a row count and a checksum of every"
                + " row per chunk, each computed by its own server; a differing chunk names its differing keys. While the migration runs, the"
                + " coordinator does it and compares a differing chunk again after a proven catch-up.")
final class ValidateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = { "-c", "--config" }, required = true, description = "The migration's YAML file.")
    Path config;

    @Option(names = "--timeout", defaultValue = "10m", converter = DurationConverter.class,
            description = "How long a catch-up between comparisons may take. Default: ${DEFAULT-VALUE}")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        MigrationConfig cfg = MigrationConfigLoader.load(config);
        PrintWriter out = spec.commandLine().getOut();
        Optional<JsonNode> result = viaCoordinator(cfg, out);
        JsonNode tables;
        if (result.isPresent()) {
            tables = result.get().path("detail").path("tables");
            if (tables.isMissingNode()) {
                spec.commandLine().getErr().println("pgshift: " + ControlClient.text(result.get(), "message"));
                return 1;
            }
        }
        else {
            out.println("No running migration '" + cfg.name() + "' to ask: comparing source and target directly (changes still being written"
                    + " to the source may show as differences).");
            Validation.Result direct = Validation.direct(cfg);
            tables = new ObjectMapper().valueToTree(direct).path("tables");
        }
        printTables(out, tables);
        boolean equal = true;
        for (JsonNode t : tables) {
            equal &= t.path("equal").asBoolean();
        }
        out.println(equal ? "All " + tables.size() + " tables are equal." : "Tables differ (see DIFFERS above).");
        out.flush();
        return equal ? 0 : 1;
    }

    /** Sends a validate command to the running coordinator and waits for its result; empty when no coordinator runs. */
    private Optional<JsonNode> viaCoordinator(MigrationConfig cfg, PrintWriter out) throws InterruptedException {
        ControlClient client;
        try {
            client = new ControlClient(cfg);
        }
        catch (IllegalStateException e) {
            return Optional.empty();
        }
        try (client) {
            Optional<JsonNode> status = client.latestStatus();
            if (status.isEmpty() || !client.isLive(status.get())) {
                return Optional.empty();
            }
            ControlCommand command = ControlCommand.create(cfg.name(), ControlCommand.Type.VALIDATE, false, false,
                    (int) Math.max(1, Math.min(86_400, timeout.toSeconds())));
            client.send(command);
            out.println("Asked the running migration to validate (" + command.id() + ")");
            out.flush();
            Optional<JsonNode> accepted = client.await(r -> ControlClient.isEventOf(r, command.id(), "command-accepted", "command-rejected"),
                    r -> { }, Duration.ofSeconds(30));
            if (accepted.isEmpty()) {
                throw new IllegalStateException("The running migration did not answer validate " + command.id() + " within 30 s; check 'pgshift status'.");
            }
            if ("command-rejected".equals(ControlClient.text(accepted.get(), "event"))) {
                return accepted;
            }
            Optional<JsonNode> answer = client.await(r -> ControlClient.isEventOf(r, command.id(), "validation"), r -> { },
                    timeout.multipliedBy(3).plusMinutes(5));
            if (answer.isEmpty()) {
                throw new IllegalStateException("The running migration did not report validation " + command.id() + " in time; check 'pgshift status'.");
            }
            return answer;
        }
    }

    static void printTables(PrintWriter out, JsonNode tables) {
        if (tables == null || tables.isEmpty()) {
            return;
        }
        out.printf("  %-14s %-36s %14s %8s  %s%n", "database", "table", "rows", "chunks", "result");
        for (JsonNode t : tables) {
            boolean equal = t.path("equal").asBoolean();
            out.printf("  %-14s %-36s %,14d %,8d  %s%n", t.path("database").asText(), t.path("table").asText(), t.path("rows").asLong(),
                    t.path("chunks").asLong(), equal ? "equal (" + t.path("basis").asText() + ")" : "DIFFERS (" + t.path("basis").asText() + ")");
            for (JsonNode d : t.path("differences")) {
                String target = d.path("targetRows").isNull() || d.path("targetRows").isMissingNode() ? "no such table"
                        : String.format("%,d rows", d.path("targetRows").asLong());
                out.printf("      range %s: source %,d rows, target %s%n", d.path("range").asText(), d.path("sourceRows").asLong(), target);
                for (JsonNode row : d.path("rows")) {
                    out.printf("        key %s%n", row.asText());
                }
            }
        }
    }
}
