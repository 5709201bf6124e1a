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
 * {@code pgshift validate}: row counts and checksums of every table on both sides. With the migration running, the coordinator
 * does it (a table that differs is compared again after a proven catch-up); otherwise it compares directly. Exit 0 when every
 * table is equal, 1 when one differs.
 */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Compare every selected table of source and target: row count and an md5 over every row, each computed by its own server."
                + " While the migration runs, the coordinator does it between proven catch-ups.")
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
            Validation.Result direct = Validation.run(cfg, null, 1, timeout);
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
        out.printf("  %-14s %-36s %14s %14s  %s%n", "database", "table", "source rows", "target rows", "result");
        for (JsonNode t : tables) {
            boolean equal = t.path("equal").asBoolean();
            String target = t.path("targetRows").isNull() || t.path("targetRows").isMissingNode() ? "missing" : String.format("%,d", t.path("targetRows").asLong());
            out.printf("  %-14s %-36s %,14d %14s  %s%n", t.path("database").asText(), t.path("table").asText(), t.path("sourceRows").asLong(), target,
                    equal ? "equal (md5 " + t.path("sourceChecksum").asText().substring(0, 12) + "…)" : "DIFFERS");
        }
    }
}
