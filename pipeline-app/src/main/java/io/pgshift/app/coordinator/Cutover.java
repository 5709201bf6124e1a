package io.pgshift.app.coordinator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.core.control.ControlCommand;
import io.pgshift.sink.TargetNeutralization;
import io.pgshift.source.FencePoint;

/**
 * Carries out one cutover command: (freeze the source) → fence and proven catch-up → sequences → validation → completed. Every step
 * is timed into the {@link CutoverReport}. Nothing is ever reported COMPLETED unless every step passed; a failure names what failed
 * and leaves the source as it is (frozen, if it was), an abort (interrupt) makes a source it froze writable again.
 * <p>
 * Every step is written to the {@link CutoverJournal} before it starts, so a crash at any moment leaves a record of the cutover: a
 * restart resumes it while the source is still frozen ({@link Coordinator}), or completes it when the completion was already recorded
 * in a target database ({@link #finishInterrupted}). Every step can run again: the freeze of a frozen database, the fence, setting
 * sequences, validating, and restoring what the target does on its own are all idempotent.
 */
final class Cutover {

    private static final Logger LOG = LoggerFactory.getLogger(Cutover.class);

    private final MigrationConfig config;
    private final Pipeline pipeline;
    private final Validation validation;
    private final CutoverJournal journal;
    private final CutoverJournal.Entry entry;
    private final ControlCommand command;
    private final Consumer<String> onStep;
    private final CutoverReport report = new CutoverReport();
    private volatile List<String> frozen = List.of();
    private volatile boolean started;

    /**
     * @param resumed the journal of the interrupted cutover this one resumes (same command), or null for a new one
     */
    Cutover(MigrationConfig config, Pipeline pipeline, Validation validation, CutoverJournal journal, ControlCommand command,
            CutoverJournal.Entry resumed, Consumer<String> onStep) {
        this.config = config;
        this.pipeline = pipeline;
        this.validation = validation;
        this.journal = journal;
        this.command = command;
        this.onStep = onStep;
        report.migration = config.name();
        report.commandId = command.id();
        report.requestedBy = command.sentBy();
        if (resumed != null) {
            entry = resumed;
            report.frozenAt = resumed.frozenAt;
            report.notes.add("Resumed after pgshift stopped during this cutover (at step " + resumed.step + "); every step ran again.");
        }
        else {
            entry = new CutoverJournal.Entry();
            entry.commandId = command.id();
            entry.sentBy = command.sentBy();
            entry.freezeSource = command.freezeSource();
            entry.cleanup = command.cleanup();
            entry.timeoutSeconds = command.timeoutSeconds();
            entry.startedAt = Instant.now().toString();
        }
    }

    /**
     * Refuses while a target database holds a schema change (its tables' changes wait at it, or a change of no table that the target
     * lacks), naming each with its fix: a cutover then would leave the target without it.
     */
    private String refuseHeldSchemaChanges() {
        List<String> held = new java.util.ArrayList<>();
        for (MigrationConfig.DatabaseMapping db : config.databases()) {
            pipeline.heldSchemaChanges(db.target()).forEach(h -> held.add(h.describe(db.target())));
        }
        if (!held.isEmpty()) {
            throw new CutoverFailed("the target holds " + held.size() + " schema change(s) of the source; resolve them first: " + String.join("; ", held));
        }
        return "no schema change held";
    }

    private volatile boolean pastRefusal;

    /**
     * Whether it was refused before it changed anything (a schema change held): the migration then goes on as before, not FAILED.
     */
    boolean refusedBeforeStart() {
        return started && !pastRefusal;
    }

    /** Whether the completion was being recorded (the journal holds the report): then nothing may thaw the source; migrate completes it. */
    boolean decided() {
        return entry.report != null;
    }

    /** Whether run() began (an abort of a cutover still queued finds it false). */
    boolean started() {
        return started;
    }

    /** Source databases this cutover froze (still frozen when it failed). */
    List<String> frozenDatabases() {
        return frozen;
    }

    /** Runs it; failures and aborts end up in the report, never as exceptions. */
    CutoverReport run() {
        started = true;
        long start = System.nanoTime();
        report.startedAt = Instant.now().toString();
        Duration timeout = Duration.ofSeconds(command.timeoutSeconds());
        // The online validation gives way at once: its connections and CPU are the cutover's now.
        validation.pause();
        try {
            step("schema-changes", this::refuseHeldSchemaChanges);
            pastRefusal = true;
            if (command.freezeSource()) {
                step("freeze", () -> {
                    List<SourceFreeze.Frozen> done = SourceFreeze.freeze(config.source(), config.databases().stream()
                            .map(MigrationConfig.DatabaseMapping::source).toList());
                    frozen = done.stream().map(SourceFreeze.Frozen::database).toList();
                    report.sourceFrozen = true;
                    if (report.frozenAt == null) {
                        report.frozenAt = Instant.now().toString();
                    }
                    entry.frozen = frozen;
                    entry.frozenAt = report.frozenAt;
                    journal.write(entry);
                    CrashPoints.reached("after-freeze");
                    return "source read-only; " + done.stream().mapToInt(SourceFreeze.Frozen::sessionsEnded).sum() + " sessions ended";
                });
            }
            else {
                report.notes.add("The source was not frozen: changes committed on it after the fence are not covered by this cutover;"
                        + " stop the applications before cutting over, or use --freeze-source.");
            }
            step("catch-up", () -> {
                Map<String, FencePoint> fences = pipeline.awaitCaughtUp(timeout);
                fences.forEach((db, f) -> report.fences.add(new CutoverReport.Fence(db, f.lsn().toString(), f.fenceId())));
                CrashPoints.reached("after-catch-up");
                return "every change up to the fence applied on every partition (pending 0)";
            });
            step("schema-changes-after-catch-up", this::refuseHeldSchemaChanges);
            step("sequences", () -> {
                for (MigrationConfig.DatabaseMapping db : config.databases()) {
                    try (Connection s = config.source().connect(db.source(), "pgshift-cutover");
                         Connection t = config.target().connect(db.target(), "pgshift-cutover")) {
                        SequenceSync.Result r = SequenceSync.sync(db.source(), s, t);
                        report.sequences.addAll(r.sequences());
                        r.notOnTarget().forEach(n -> report.sequencesNotOnTarget.add(db.source() + "." + n));
                        if (!r.collisions().isEmpty()) {
                            throw new CutoverFailed(String.join("; ", r.collisions().stream().map(SequenceSync.Entry::collision).toList()));
                        }
                    }
                }
                CrashPoints.reached("after-sequences");
                return report.sequences.size() + " sequences set from the source, none behind its column";
            });
            step("validation", () -> {
                Validation.Result v = validation.atCutover(report.sourceFrozen, timeout, () -> CrashPoints.reached("during-validation"));
                report.tables.addAll(v.tables());
                report.validation = CutoverReport.ValidationSummary.of(v);
                if (!v.allEqual()) {
                    throw new CutoverFailed("validation failed: " + v.differing().size() + " of " + v.tables().size() + " tables differ between"
                            + " source and target: " + v.describeDifferences());
                }
                return v.tables().size() + " tables equal (" + v.mode() + "): " + v.cutoverChunks() + " chunks and " + v.cutoverRows()
                        + " changed rows compared now; " + v.onlineChunks() + " chunks (" + v.onlineRows() + " rows) validated online before";
            });
            step("finish", () -> {
                // Nothing may reach the target once the applications write there.
                pipeline.stopApplying();
                // What the target does on its own (identity ALWAYS, ALWAYS and REPLICA triggers and rules) is back before the applications write.
                int restored = 0;
                for (MigrationConfig.DatabaseMapping db : config.databases()) {
                    try (Connection t = config.target().connect(db.target(), "pgshift-cutover")) {
                        restored += TargetNeutralization.restore(t).size();
                    }
                }
                if (restored > 0) {
                    report.notes.add(restored + " identity columns, triggers and rules turned off while applying were restored on the target.");
                }
                CrashPoints.reached("during-finish");
                report.result = Phase.COMPLETED.name();
                String fence = report.fences.isEmpty() ? null : report.fences.get(0).lsn();
                String json = StatusTopic.pretty(report);
                entry.report = json;
                journal.write(entry);
                for (MigrationConfig.DatabaseMapping db : config.databases()) {
                    CompletedMigrations.record(config, db.target(), fence, json);
                }
                CrashPoints.reached("after-completion-record");
                return "appliers stopped; completion recorded in pgshift.migrations on the target";
            });
        }
        catch (InterruptedException e) {
            report.result = "ABORTED";
            report.reason = "aborted by an abort command during the cutover";
            thawAfterAbort();
        }
        catch (RuntimeException e) {
            report.result = Phase.FAILED.name();
            String why = e instanceof CutoverFailed ? e.getMessage() : "the cutover stopped on an unexpected error: " + e;
            if (entry.report != null) {
                // The completion is recorded in a target database already: the cutover is decided, only recording it is left.
                report.reason = why + ". The completion is recorded in part on the target: run 'pgshift migrate' again, which completes it;"
                        + " the source stays read-only.";
            }
            else {
                report.reason = why + (frozen.isEmpty() ? "" : ". The source stays read-only: run 'pgshift unfreeze' (or send abort) to"
                        + " let applications write to it again, or fix the cause and send cutover again.");
            }
        }
        long end = System.nanoTime();
        Instant finished = Instant.now();
        report.finishedAt = finished.toString();
        report.durationMs = (end - start) / 1_000_000;
        if (report.sourceFrozen && "COMPLETED".equals(report.result)) {
            report.downtimeMs = Duration.between(Instant.parse(report.frozenAt), finished).toMillis();
        }
        try {
            if ("FAILED".equals(report.result) && entry.report != null) {
                LOG.warn("Cutover {} failed after recording its completion in part; 'pgshift migrate' completes it", command.id());
            }
            else if ("FAILED".equals(report.result) && !frozen.isEmpty()) {
                entry.step = "failed";
                entry.reason = report.reason;
                journal.write(entry);
            }
            else {
                journal.clear();
            }
        }
        catch (RuntimeException e) {
            report.notes.add("The cutover journal could not be updated: " + e.getMessage());
        }
        if ("COMPLETED".equals(report.result)) {
            pipeline.stopStreaming();
        }
        if ("COMPLETED".equals(report.result) && command.cleanup()) {
            cleanup();
        }
        else if ("COMPLETED".equals(report.result)) {
            report.notes.add("The replication slot(s) stay on the source and keep its WAL: run 'pgshift cleanup' once you no longer need them.");
        }
        if ("COMPLETED".equals(report.result) && report.sourceFrozen) {
            report.notes.add("The source databases stay read-only, as the applications now use the target; 'pgshift unfreeze' makes them"
                    + " writable again.");
        }
        save();
        return report;
    }

    /**
     * Completes a cutover that pgshift stopped during its finish step after recording the completion in a target database: every
     * step before had passed (validation included), so what is left is restoring what the target does on its own and recording the
     * completion where it is missing. Returns the report, or empty when the journal holds no such cutover (then the pipeline starts,
     * and resumes any other interrupted cutover).
     */
    public static Optional<CutoverReport> finishInterrupted(MigrationConfig config) throws SQLException {
        CutoverJournal journal = new CutoverJournal(config.workDir());
        Optional<CutoverJournal.Entry> found = journal.read();
        if (found.isEmpty() || found.get().report == null) {
            return Optional.empty();
        }
        CutoverJournal.Entry j = found.get();
        List<String> recorded = new java.util.ArrayList<>();
        for (MigrationConfig.DatabaseMapping db : config.databases()) {
            if (CompletedMigrations.completedAt(config, db.target()).isPresent()) {
                recorded.add(db.target());
            }
        }
        if (recorded.isEmpty()) {
            return Optional.empty();
        }
        CutoverReport report = new CutoverReport();
        report.migration = config.name();
        report.commandId = j.commandId;
        report.requestedBy = j.sentBy;
        report.startedAt = j.startedAt;
        report.sourceFrozen = !j.frozen.isEmpty();
        report.frozenAt = j.frozenAt;
        int restored = 0;
        for (MigrationConfig.DatabaseMapping db : config.databases()) {
            try (Connection t = config.target().connect(db.target(), "pgshift-cutover")) {
                restored += TargetNeutralization.restore(t).size();
            }
            if (!recorded.contains(db.target())) {
                CompletedMigrations.record(config, db.target(), null, j.report);
            }
        }
        Instant now = Instant.now();
        report.result = Phase.COMPLETED.name();
        report.finishedAt = now.toString();
        report.durationMs = Duration.between(Instant.parse(j.startedAt), now).toMillis();
        if (j.frozenAt != null) {
            report.downtimeMs = Duration.between(Instant.parse(j.frozenAt), now).toMillis();
        }
        report.steps.add(new CutoverReport.Step("finish", now.toString(), 0, "completed after a restart: pgshift stopped during the finish step,"
                + " after every earlier step had passed and the completion was recorded in " + recorded + "; " + restored
                + " identity columns, triggers and rules restored on the target"));
        report.notes.add("The report of the cutover as it stood when its finish step began is in pgshift.migrations on the target.");
        if (report.sourceFrozen) {
            report.notes.add("The source databases stay read-only, as the applications now use the target; 'pgshift unfreeze' makes them"
                    + " writable again.");
        }
        report.notes.add("The replication slot(s) stay on the source and keep its WAL: run 'pgshift cleanup' once you no longer need them.");
        Cutover.save(config, report);
        journal.clear();
        LOG.info("Cutover {} completed after a restart: it had stopped in its finish step", j.commandId);
        return Optional.of(report);
    }

    private interface StepBody {
        String run() throws Exception;
    }

    private void step(String name, StepBody body) throws InterruptedException {
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedException();
        }
        onStep.accept(name);
        entry.step = name;
        journal.write(entry);
        String startedAt = Instant.now().toString();
        long t0 = System.nanoTime();
        try {
            String outcome = body.run();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            report.steps.add(new CutoverReport.Step(name, startedAt, ms, outcome));
            LOG.info("Cutover {}: {} done in {} ms: {}", command.id(), name, ms, outcome);
        }
        catch (InterruptedException e) {
            report.steps.add(new CutoverReport.Step(name, startedAt, (System.nanoTime() - t0) / 1_000_000, "aborted"));
            throw e;
        }
        catch (CutoverFailed e) {
            report.steps.add(new CutoverReport.Step(name, startedAt, (System.nanoTime() - t0) / 1_000_000, "FAILED: " + e.getMessage()));
            throw e;
        }
        catch (TimeoutException e) {
            report.steps.add(new CutoverReport.Step(name, startedAt, (System.nanoTime() - t0) / 1_000_000, "FAILED: " + e.getMessage()));
            throw new CutoverFailed(name + " did not finish within the cutover's timeout of " + command.timeoutSeconds() + " s: " + e.getMessage());
        }
        catch (Exception e) {
            if (Thread.interrupted()) {
                report.steps.add(new CutoverReport.Step(name, startedAt, (System.nanoTime() - t0) / 1_000_000, "aborted"));
                throw new InterruptedException();
            }
            String why = e.getMessage() != null ? e.getMessage() : e.toString();
            report.steps.add(new CutoverReport.Step(name, startedAt, (System.nanoTime() - t0) / 1_000_000, "FAILED: " + why));
            throw new CutoverFailed(name + " failed: " + why);
        }
    }

    private void thawAfterAbort() {
        if (frozen.isEmpty()) {
            return;
        }
        try {
            SourceFreeze.unfreeze(config.source(), frozen);
            report.notes.add("The source databases " + frozen + " were made writable again.");
            frozen = List.of();
        }
        catch (SQLException e) {
            report.notes.add("Could not make the source writable again (" + e.getMessage() + "): run 'pgshift unfreeze'.");
        }
    }

    /** Drops slot and publication once the capture has let go of the slot (it may take a moment after the engine stops). */
    private void cleanup() {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                report.cleanup.addAll(SourceCleanup.run(config));
                return;
            }
            catch (IllegalStateException | SQLException e) {
                if (System.nanoTime() > deadline) {
                    report.notes.add("Cleanup failed: " + e.getMessage() + " Run 'pgshift cleanup' later.");
                    return;
                }
                try {
                    Thread.sleep(200);
                }
                catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void save() {
        save(config, report);
    }

    private static void save(MigrationConfig config, CutoverReport report) {
        try {
            Path dir = config.workDir().resolve("reports");
            Files.createDirectories(dir);
            Path file = dir.resolve("cutover-" + report.startedAt.replace(':', '-') + ".json");
            report.file = file.toAbsolutePath().toString();
            Files.writeString(file, StatusTopic.pretty(report));
        }
        catch (java.io.IOException e) {
            LOG.warn("Could not save the cutover report in {}: {}", config.workDir(), e.getMessage());
            report.file = null;
        }
    }

    /** A step found the target not ready: the message says what and where. */
    static final class CutoverFailed extends RuntimeException {
        CutoverFailed(String message) {
            super(message);
        }
    }
}
