package io.pgshift.app;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import io.pgshift.app.check.CheckReport;
import io.pgshift.app.check.CheckResult;
import io.pgshift.app.check.PrerequisiteChecks;
import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.coordinator.Coordinator;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.app.pipeline.PipelineOptions;
import io.pgshift.app.pipeline.ProgressReporter;

/**
 * {@code pgshift migrate}: check → schema pre-data → full load → schema post-data → streaming, each skippable.
 * It refuses to start when a check fails, unless forced. Running it again resumes.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Check the prerequisites, copy the schema's pre-data section, load a consistent snapshot, apply the post-data section"
                + " (indexes, constraints, triggers), then stream every change to the target until a cutover completes or it is stopped (Ctrl-C)."
                + " It serves the status page and listens on the control topic for 'pgshift cutover'. Running it again resumes where it stopped.")
final class MigrateCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(MigrateCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = { "-c", "--config" }, required = true, description = "The migration's YAML file.")
    Path config;

    @Option(names = "--skip-check", description = "Do not run the prerequisite checks first.")
    boolean skipCheck;

    @Option(names = "--force", description = "Start even when a prerequisite check fails (what fails is printed, and may make the migration"
            + " fail or lose changes).")
    boolean force;

    @Option(names = "--fix-replica-identity", description = "Set REPLICA IDENTITY FULL on selected tables without a usable replica identity"
            + " (as 'pgshift check --fix-replica-identity').")
    boolean fixReplicaIdentity;

    @Option(names = "--skip-schema", description = "Copy no schema (the target already has all of it).")
    boolean skipSchema;

    @Option(names = "--skip-pre-data", description = "Do not apply the schema's pre-data section (the target already has the tables).")
    boolean skipPreData;

    @Option(names = "--skip-post-data", description = "Do not apply the schema's post-data section (indexes, constraints, triggers) after the load.")
    boolean skipPostData;

    @Option(names = "--skip-load", description = "No initial load: capture only the changes committed from now on (for a target that already"
            + " holds the rows as of now).")
    boolean skipLoad;

    @Option(names = "--skip-streaming", description = "Stop once the load is applied and post-data is in, keeping the replication slot at"
            + " the load's consistent point; 'migrate' again, or the Debezium connector on Kafka Connect, streams the changes made since.")
    boolean skipStreaming;

    @Override
    public Integer call() throws Exception {
        MigrationConfig cfg = MigrationConfigLoader.load(config);
        java.util.Optional<io.pgshift.app.coordinator.CutoverReport> finished = Coordinator.finishInterruptedCutover(cfg);
        if (finished.isPresent()) {
            spec.commandLine().getOut().println(finished.get().summary());
            spec.commandLine().getOut().println("Cutover completed: point the applications at the target.");
            spec.commandLine().getOut().flush();
            return 0;
        }
        if (!skipCheck && !checksAllowStart(cfg)) {
            return 3;
        }
        if (skipLoad && cfg.viaConnect()) {
            spec.commandLine().getErr().println("pgshift: --skip-load does not go with connect.url: on Kafka Connect the connectors stream from the"
                    + " slot pgshift's load leaves at its consistent point.");
            return 2;
        }
        if (skipLoad) {
            LOG.warn("--skip-load: no initial load. Only changes committed after the replication slot is created reach the target; rows the"
                    + " target does not already hold stay missing.");
        }
        PipelineOptions options = new PipelineOptions(!skipSchema && !skipPreData, !skipLoad, !skipSchema && !skipPostData, !skipStreaming);
        CountDownLatch stopped = new CountDownLatch(1);
        Coordinator coordinator = Coordinator.start(cfg, options);
        Thread hook = new Thread(() -> {
            LOG.info("Stopping: the capture and the appliers finish their current batch");
            coordinator.close();
            stopped.countDown();
        }, "pgshift-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        if (coordinator.httpPort() > 0) {
            spec.commandLine().getOut().println("Status page: http://" + cfg.coordination().httpHost() + ":" + coordinator.httpPort() + "/");
            spec.commandLine().getOut().flush();
        }
        // Announced the moment the cutover completes (not at the next poll), so a stop right after it still finds it said.
        coordinator.completion().thenAccept(report -> {
            java.io.PrintWriter out = spec.commandLine().getOut();
            out.println(report.summary());
            out.println("Cutover completed: point the applications at the target. Streaming has stopped; the status"
                    + " page stays up until you stop this process (Ctrl-C).");
            out.flush();
        });
        try (ProgressReporter progress = ProgressReporter.start(coordinator::status, Duration.ofSeconds(10))) {
            while (!stopped.await(1, TimeUnit.SECONDS)) {
                Pipeline pipeline = coordinator.pipeline();
                if (pipeline.failure().isPresent()) {
                    LOG.error("The migration stopped: {}", pipeline.failure().get().getMessage());
                    Runtime.getRuntime().removeShutdownHook(hook);
                    coordinator.close();
                    return 1;
                }
                if (skipStreaming && pipeline.loaded().isDone()) {
                    Runtime.getRuntime().removeShutdownHook(hook);
                    coordinator.close();
                    printHandover(cfg);
                    return 0;
                }
            }
        }
        return 0;
    }

    /**
     * After {@code --skip-streaming}: where the changes made since the load wait, and the settings a Debezium connector needs to stream
     * them from there on Kafka Connect (as {@code migrate} with {@code connect.url} creates it).
     */
    private void printHandover(MigrationConfig cfg) {
        java.io.PrintWriter out = spec.commandLine().getOut();
        boolean bulk = !skipLoad && !"debezium".equals(cfg.load().method());
        out.println("Load applied and post-data in (--skip-streaming). " + (bulk
                ? "Each replication slot stays at its load's consistent point and keeps every change made since. Stream them with"
                        + " 'pgshift migrate' again, or on Kafka Connect with the Debezium PostgreSQL connector set to:"
                : "The replication slot keeps the changes made since; run 'pgshift migrate' again to stream them."));
        if (bulk) {
            for (MigrationConfig.DatabaseMapping db : cfg.databases()) {
                out.println("  database " + db.source() + ": \"snapshot.mode\": \"no_data\", \"slot.name\": \"" + cfg.names().slotName(db.source())
                        + "\", \"publication.name\": \"" + cfg.names().publicationName(db.source())
                        + "\", \"publication.autocreate.mode\": \"disabled\", \"topic.prefix\": \""
                        + cfg.names().connectorName(db.source()) + "\"");
            }
        }
        out.flush();
    }

    /** Runs the checks and prints them; false when one fails and the start is not forced. */
    private boolean checksAllowStart(MigrationConfig cfg) {
        CheckReport report = new PrerequisiteChecks(cfg, fixReplicaIdentity, line -> spec.commandLine().getErr().println(line)).run();
        spec.commandLine().getOut().print(report.toText());
        spec.commandLine().getOut().flush();
        if (report.passed()) {
            return true;
        }
        String failed = report.failures().stream().map(CheckResult::check).distinct().toList().toString();
        if (!force) {
            spec.commandLine().getErr().println("pgshift: not starting: " + report.failures().size() + " prerequisite checks failed " + failed
                    + ". Fix them (each FAIL line says how), or start anyway with --force.");
            return false;
        }
        String banner = "!".repeat(100);
        spec.commandLine().getErr().println(banner + System.lineSeparator() + "!!! STARTING DESPITE " + report.failures().size()
                + " FAILED PREREQUISITE CHECKS " + failed + " (--force). The migration may fail, or miss changes." + System.lineSeparator() + banner);
        LOG.warn("Starting despite failed prerequisite checks {} (--force)", failed);
        return true;
    }
}
