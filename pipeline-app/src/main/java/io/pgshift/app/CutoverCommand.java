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

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.coordinator.ControlClient;
import io.pgshift.core.control.ControlCommand;

/**
 * {@code pgshift cutover}: puts a cutover command on the control topic of the running migration and follows it. Exit 0 when the
 * coordinator accepted it (without --wait) or it completed (with --wait); 1 when refused or failed; 2 when --wait timed out.
 */
@Command(name = "cutover", mixinStandardHelpOptions = true,
        description = "Ask the running migration to cut over: (freeze the source,) prove every change is applied, sync sequences, validate"
                + " every table, and report COMPLETED. Sends a command on the control topic pgshift.<name>.control.")
public final class CutoverCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = { "-c", "--config" }, required = true, description = "The migration's YAML file.")
    Path config;

    @Option(names = "--freeze-source", description = "Make the source databases read-only first and end their other sessions; 'pgshift"
            + " unfreeze' undoes it.")
    boolean freezeSource;

    @Option(names = "--cleanup", description = "Once completed, drop the replication slot and publication on the source.")
    boolean cleanup;

    @Option(names = "--wait", description = "Follow the cutover until it completes or fails, and print its report.")
    boolean await;

    @Option(names = "--timeout", defaultValue = "10m", converter = DurationConverter.class,
            description = "How long catching up and validating may take before the cutover fails (90s, 10m, 2h). Default: ${DEFAULT-VALUE}")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        MigrationConfig cfg = MigrationConfigLoader.load(config);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int seconds = (int) Math.max(1, Math.min(86_400, timeout.toSeconds()));
        try (ControlClient client = new ControlClient(cfg)) {
            JsonNode status = client.requireLive();
            out.printf("Migration '%s' is %s with %s changes pending.%n", cfg.name(), ControlClient.text(status, "phase"),
                    ControlClient.text(status, "pendingChanges"));
            ControlCommand command = ControlCommand.create(cfg.name(), ControlCommand.Type.CUTOVER, freezeSource, cleanup, seconds);
            client.send(command);
            out.println("Sent cutover " + command.id() + (freezeSource ? " (freeze the source)" : "") + " to " + cfg.names().controlTopic());
            out.flush();
            Optional<JsonNode> answer = client.await(r -> ControlClient.isEventOf(r, command.id(), "command-accepted", "command-rejected"), r -> { },
                    Duration.ofSeconds(30));
            if (answer.isEmpty()) {
                err.println("pgshift: the coordinator did not answer cutover " + command.id() + " within 30 s. Check 'pgshift status'.");
                return 2;
            }
            out.println(ControlClient.text(answer.get(), "message"));
            if ("command-rejected".equals(ControlClient.text(answer.get(), "event"))) {
                return 1;
            }
            if (!await) {
                out.println("Follow it with 'pgshift status -c " + config + " --watch', or run cutover with --wait.");
                return 0;
            }
            out.flush();
            Optional<JsonNode> report = client.await(r -> "report".equals(ControlClient.text(r, "type")) && command.id().equals(ControlClient.text(r, "commandId")),
                    r -> {
                        if (ControlClient.isEventOf(r, command.id(), "cutover-step")) {
                            out.println("  " + ControlClient.text(r, "message"));
                            out.flush();
                        }
                    }, timeout.plusMinutes(2));
            if (report.isEmpty()) {
                err.println("pgshift: cutover " + command.id() + " did not finish within " + timeout + " (and 2 minutes). It may still be running:"
                        + " check 'pgshift status'.");
                return 2;
            }
            printReport(out, report.get());
            return "COMPLETED".equals(ControlClient.text(report.get(), "result")) ? 0 : 1;
        }
    }

    public static void printReport(PrintWriter out, JsonNode r) {
        out.println();
        out.println("Cutover " + ControlClient.text(r, "result") + " (command " + ControlClient.text(r, "commandId") + ")");
        if (ControlClient.text(r, "reason") != null) {
            out.println("  reason: " + ControlClient.text(r, "reason"));
        }
        for (JsonNode s : r.path("steps")) {
            out.printf("  %-12s %8d ms  %s%n", s.path("name").asText(), s.path("durationMs").asLong(), s.path("outcome").asText());
        }
        for (JsonNode f : r.path("fences")) {
            out.println("  fence of " + f.path("database").asText() + " at LSN " + f.path("lsn").asText());
        }
        if (r.hasNonNull("downtimeMs")) {
            out.printf("  downtime (source frozen -> completed): %.3f s%n", r.get("downtimeMs").asLong() / 1000.0);
        }
        JsonNode v = r.path("validation");
        if (v.isObject()) {
            out.printf("  validation (%s): online %,d chunks (%,d rows) in %.1f s; at the cutover %,d chunks and %,d changed rows in %.3f s%n",
                    v.path("mode").asText(), v.path("onlineChunks").asLong(), v.path("onlineRows").asLong(), v.path("onlineMs").asLong() / 1000.0,
                    v.path("cutoverChunks").asLong(), v.path("cutoverChangedRows").asLong(), v.path("cutoverMs").asLong() / 1000.0);
        }
        ValidateCommand.printTables(out, r.path("tables"));
        out.println("  sequences set: " + r.path("sequences").size() + (r.path("sequencesNotOnTarget").size() > 0
                ? " (not on the target, left alone: " + r.path("sequencesNotOnTarget") + ")" : ""));
        for (JsonNode n : r.path("notes")) {
            out.println("  note: " + n.asText());
        }
        for (JsonNode c : r.path("cleanup")) {
            out.println("  cleanup: " + c.asText());
        }
        if (ControlClient.text(r, "file") != null) {
            out.println("  report saved in " + ControlClient.text(r, "file"));
        }
        out.flush();
    }
}
