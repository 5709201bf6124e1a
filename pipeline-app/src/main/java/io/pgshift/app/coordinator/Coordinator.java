package io.pgshift.app.coordinator;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.app.pipeline.PipelineOptions;
import io.pgshift.core.control.ControlCommand;

/**
 * The coordinator of one migration in this process: runs the {@link Pipeline}; derives the phase; publishes status snapshots to the
 * status topic and serves them over HTTP with metrics; listens on the control topic and carries out cutover, abort and validate
 * commands, one at a time. A bad command is rejected with a status event and changes nothing.
 */
public final class Coordinator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Coordinator.class);
    /** A command older than this when read is not carried out: a coordinator that was down must not act on it later. */
    static final Duration STALE_AFTER = Duration.ofMinutes(5);

    private final MigrationConfig config;
    private final Instant startedAt = Instant.now();
    private final MigrationMetrics metrics;
    private final StatusCollector collector;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(daemon("pgshift-status"));
    private final ExecutorService commands = Executors.newSingleThreadExecutor(daemon("pgshift-cutover"));
    private final Set<String> seenCommandIds = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<CutoverReport> completed = new CompletableFuture<>();
    private volatile MigrationStatus latest;
    private volatile Pipeline pipeline;
    private volatile Validation validation;
    private final CutoverJournal journal;
    private volatile StatusServer http;
    private volatile StatusTopic.Publisher publisher;
    private volatile KafkaConsumer<String, byte[]> control;
    private volatile Thread controlThread;
    private volatile boolean closing;
    private long lastPublishedMs;
    private Phase lastPhase;

    // Cutover state: guarded by this.
    private Cutover running;
    private Future<?> runningFuture;
    private MigrationStatus.Cutover cutoverView;
    private String cutoverFailure;
    private List<String> leftFrozen = List.of();
    private volatile CutoverReport lastReport;

    private Coordinator(MigrationConfig config) {
        this.config = config;
        this.metrics = new MigrationMetrics(config.name());
        this.collector = new StatusCollector(config);
        this.journal = new CutoverJournal(config.workDir());
        this.latest = status(Phase.INITIALIZING, null, List.of());
    }

    /**
     * Starts the status page (phase INITIALIZING), refuses a migration that already completed its cutover, starts the pipeline, then
     * the status publishing and the control listener.
     */
    public static Coordinator start(MigrationConfig config, PipelineOptions options) throws IOException, SQLException, InterruptedException {
        Coordinator c = new Coordinator(config);
        try {
            if (config.coordination().httpPort() >= 0) {
                c.http = StatusServer.start(config.coordination().httpHost(), config.coordination().httpPort(), () -> c.latest, () -> c.lastReport,
                        c.metrics);
            }
            CompletedMigrations.refuseIfCompleted(config);
            c.pipeline = Pipeline.start(config, options);
            try (Admin admin = Admin.create(MigrationKafka.clientProperties(config, c.pipeline.bootstrapServers(), "pgshift." + config.name()
                    + ".coordinator-admin"))) {
                MigrationKafka.ensureTopics(admin, config);
            }
            c.publisher = new StatusTopic.Publisher(config, c.pipeline.bootstrapServers());
            c.validation = new Validation(config, c.pipeline);
            c.validation.startOnline();
            c.resumeInterrupted();
            c.startControlListener();
            c.ticker.scheduleWithFixedDelay(c::tick, 0, 1000, TimeUnit.MILLISECONDS);
        }
        catch (IOException | SQLException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /**
     * Completes a cutover that stopped in its finish step after the completion was recorded on the target (see
     * {@code Cutover.finishInterrupted}); empty when there is none. Run before {@link #start}, which refuses a completed migration.
     */
    public static Optional<CutoverReport> finishInterruptedCutover(MigrationConfig config) throws SQLException {
        return Cutover.finishInterrupted(config);
    }

    // ---------------------------------------------------------------------------------------------------------------- status

    private void tick() {
        try {
            Pipeline p = pipeline;
            if (p.connect() != null) {
                p.connect().poll();
            }
            List<MigrationStatus.Database> dbs = collector.databases(p, validation);
            Phase phase;
            String reason = null;
            synchronized (this) {
                Optional<Throwable> failure = p.failure();
                if (completed.isDone()) {
                    phase = Phase.COMPLETED;
                }
                else if (failure.isPresent()) {
                    phase = Phase.FAILED;
                    reason = "the migration stopped: " + failure.get().getMessage();
                }
                else if (running != null) {
                    phase = Phase.CUTOVER_IN_PROGRESS;
                }
                else if (cutoverFailure != null) {
                    phase = Phase.FAILED;
                    reason = cutoverFailure;
                }
                else if (!p.loaded().isDone()) {
                    phase = Phase.FULL_LOAD;
                }
                else {
                    long pending = dbs.stream().mapToLong(MigrationStatus.Database::pendingChanges).sum();
                    phase = pending <= config.coordination().readyMaxPending() ? Phase.READY_TO_CUTOVER : Phase.INCREMENTAL_SYNC;
                }
            }
            MigrationStatus s = status(phase, reason, dbs);
            latest = s;
            metrics.update(s);
            long now = System.currentTimeMillis();
            if (phase != lastPhase) {
                LOG.info("Migration '{}' is now {}{}", config.name(), phase, reason != null ? ": " + reason : "");
                event("phase-changed", null, "phase " + phase + (reason != null ? ": " + reason : ""), null);
            }
            if (phase != lastPhase || now - lastPublishedMs >= config.coordination().statusIntervalMs()) {
                publisher.publish(MigrationStatus.TYPE, s);
                lastPublishedMs = now;
            }
            lastPhase = phase;
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        catch (RuntimeException e) {
            LOG.debug("Status round failed: {}", e.toString());
        }
    }

    private synchronized MigrationStatus status(Phase phase, String reason, List<MigrationStatus.Database> dbs) {
        long pending = dbs.stream().mapToLong(MigrationStatus.Database::pendingChanges).sum();
        long wal = dbs.stream().mapToLong(d -> Math.max(0, d.pendingWalBytes())).sum();
        long latency = dbs.stream().mapToLong(MigrationStatus.Database::latencyMs).max().orElse(-1);
        return new MigrationStatus(MigrationStatus.TYPE, config.name(), !closing, phase, reason, Instant.now().toString(), startedAt.toString(), pending, wal,
                latency, config.coordination().readyMaxPending(), cutoverView, dbs);
    }

    private void event(String kind, String commandId, String message, Object detail) {
        StatusTopic.Publisher p = publisher;
        if (p != null) {
            p.publish("event", StatusTopic.StatusEvent.of(config.name(), kind, commandId, message, detail));
        }
    }

    // --------------------------------------------------------------------------------------------------------------- control

    private void startControlListener() {
        Map<String, Object> props = MigrationKafka.clientProperties(config, pipeline.bootstrapServers(), "pgshift." + config.name() + ".coordinator");
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "pgshift." + config.name() + ".coordinator");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        control = new KafkaConsumer<>(props, new org.apache.kafka.common.serialization.StringDeserializer(), new ByteArrayDeserializer());
        control.subscribe(List.of(config.names().controlTopic()));
        controlThread = new Thread(this::listen, "pgshift-control");
        controlThread.setDaemon(true);
        controlThread.start();
    }

    private void listen() {
        try {
            while (!closing) {
                for (ConsumerRecord<String, byte[]> r : control.poll(Duration.ofMillis(500))) {
                    try {
                        handle(r);
                    }
                    catch (RuntimeException e) {
                        LOG.error("Control record at offset {} could not be handled: {}", r.offset(), e.toString());
                        event("command-rejected", null, "could not be handled: " + e.getMessage(), null);
                    }
                    control.commitSync(Map.of(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1)));
                }
            }
        }
        catch (WakeupException e) {
            // closing
        }
        catch (RuntimeException e) {
            LOG.error("The control topic listener stopped: {}", e.toString());
        }
        finally {
            control.close(Duration.ofSeconds(5));
        }
    }

    private void handle(ConsumerRecord<String, byte[]> r) {
        ControlCommand command;
        try {
            command = ControlCommand.parse(r.value(), config.name());
        }
        catch (ControlCommand.ForeignMigrationException e) {
            reject(null, "a command at " + r.topic() + " offset " + r.offset() + " is not for this migration (" + e.getMessage() + "); ignored");
            return;
        }
        catch (ControlCommand.InvalidCommandException e) {
            reject(null, "the record at " + r.topic() + " offset " + r.offset() + " is not a valid command: " + e.getMessage());
            return;
        }
        long age = System.currentTimeMillis() - r.timestamp();
        if (age > STALE_AFTER.toMillis()) {
            reject(command.id(), command.type().wireName() + " " + command.id() + " was sent " + age / 1000 + " s ago; commands older than "
                    + STALE_AFTER.toSeconds() + " s are not carried out (no coordinator was reading then): send it again");
            return;
        }
        if (!seenCommandIds.add(command.id())) {
            reject(command.id(), "command id " + command.id() + " was already received: duplicate ignored");
            return;
        }
        switch (command.type()) {
            case CUTOVER -> startCutover(command);
            case ABORT -> abort(command);
            case VALIDATE -> startValidation(command);
        }
    }

    private void reject(String commandId, String why) {
        LOG.warn("Control command rejected: {}", why);
        event("command-rejected", commandId, why, null);
    }

    /**
     * After a restart: a cutover the journal says was in progress is resumed while the source is still frozen (the applications are
     * down and waiting), or set aside when the source is writable again ('pgshift unfreeze' ran, or it never froze); a cutover that
     * failed with a frozen source is reported again, so that abort still thaws it.
     */
    private void resumeInterrupted() throws SQLException {
        Optional<CutoverJournal.Entry> found = journal.read();
        if (found.isEmpty()) {
            return;
        }
        CutoverJournal.Entry j = found.get();
        List<String> frozenNow = SourceFreeze.frozen(config.source(), config.databases().stream().map(MigrationConfig.DatabaseMapping::source).toList());
        synchronized (this) {
            seenCommandIds.add(j.commandId);
            if ("failed".equals(j.step)) {
                if (frozenNow.isEmpty()) {
                    journal.clear();
                    return;
                }
                leftFrozen = frozenNow;
                cutoverFailure = "cutover " + j.commandId + " failed before pgshift restarted: " + j.reason;
                LOG.warn("Cutover {} failed before this restart and left source databases {} read-only: {}", j.commandId, frozenNow, j.reason);
                return;
            }
            if (!j.freezeSource || frozenNow.isEmpty()) {
                LOG.warn("Cutover {} was interrupted at step '{}' when pgshift stopped; it is not resumed because the source is writable{}. Send"
                        + " cutover again when ready.", j.commandId, j.step, j.freezeSource ? " again ('pgshift unfreeze' ran)" : " (it did not freeze)");
                journal.clear();
                return;
            }
            LOG.warn("Cutover {} was interrupted at step '{}' when pgshift stopped; source databases {} are still read-only: resuming it now",
                    j.commandId, j.step, frozenNow);
            ControlCommand command = new ControlCommand(config.name(), j.commandId, ControlCommand.Type.CUTOVER, j.freezeSource, j.cleanup,
                    j.timeoutSeconds, Instant.now(), j.sentBy);
            launchCutover(command, j);
        }
    }

    private synchronized void startCutover(ControlCommand command) {
        String refusal = refusalOfCutover();
        if (refusal != null) {
            reject(command.id(), "cutover " + command.id() + " refused: " + refusal);
            return;
        }
        launchCutover(command, null);
    }

    private synchronized void launchCutover(ControlCommand command, CutoverJournal.Entry resumed) {
        leftFrozen = List.of();
        Cutover cutover = new Cutover(config, pipeline, validation, journal, command, resumed, step -> onStep(command, step));
        running = cutover;
        cutoverFailure = null;
        cutoverView = new MigrationStatus.Cutover(command.id(), command.sentBy(), "accepted", Instant.now().toString(), false, null);
        event("command-accepted", command.id(), "cutover " + command.id() + (resumed != null ? " resumed after a restart" : " accepted")
                + (command.freezeSource() ? " (the source will be frozen)" : ""), null);
        runningFuture = commands.submit(() -> finishCutover(cutover, command, cutover.run()));
        tickSoon();
    }

    private String refusalOfCutover() {
        if (completed.isDone()) {
            return "the migration already completed its cutover";
        }
        if (pipeline.failure().isPresent()) {
            return "the migration stopped: " + pipeline.failure().get().getMessage();
        }
        if (running != null) {
            return "cutover " + cutoverView.commandId() + " is in progress";
        }
        if (!pipeline.loaded().isDone()) {
            return "the full load is not complete yet (phase " + latest.phase() + "); send cutover once the phase is READY_TO_CUTOVER";
        }
        return null;
    }

    private synchronized void onStep(ControlCommand command, String step) {
        cutoverView = new MigrationStatus.Cutover(command.id(), command.sentBy(), step, cutoverView.startedAt(),
                running != null && !running.frozenDatabases().isEmpty(), null);
        event("cutover-step", command.id(), "cutover " + command.id() + ": " + step, null);
        tickSoon();
    }

    private void finishCutover(Cutover cutover, ControlCommand command, CutoverReport report) {
        synchronized (this) {
            running = null;
            runningFuture = null;
            lastReport = report;
            leftFrozen = "FAILED".equals(report.result) && !cutover.decided() ? cutover.frozenDatabases() : List.of();
            boolean stillFrozen = report.sourceFrozen && !"ABORTED".equals(report.result);
            cutoverView = new MigrationStatus.Cutover(command.id(), command.sentBy(), "finished", cutoverView.startedAt(), stillFrozen, report.result);
            cutoverFailure = "FAILED".equals(report.result) && !cutover.refusedBeforeStart() ? "cutover " + command.id() + " failed: " + report.reason
                    : null;
        }
        if ("COMPLETED".equals(report.result)) {
            completed.complete(report);
        }
        else {
            validation.resume();
        }
        // The new phase is in the status (and on the topic) before the report: whoever reads the report sees it.
        tickNow();
        publisher.publish("report", report);
        event("cutover-" + report.result.toLowerCase(java.util.Locale.ROOT), command.id(), "cutover " + command.id() + " " + report.result
                + (report.reason != null ? ": " + report.reason : ""), null);
        LOG.info("{}", report.summary());
    }

    private void abort(ControlCommand command) {
        synchronized (this) {
            if (running != null) {
                event("command-accepted", command.id(), "abort " + command.id() + ": cancelling cutover " + cutoverView.commandId(), null);
                boolean cancelled = runningFuture.cancel(true);
                if (cancelled && !running.started()) {
                    // Still queued (behind a validation): it never ran, so nothing of it is to undo.
                    running = null;
                    runningFuture = null;
                    cutoverView = new MigrationStatus.Cutover(cutoverView.commandId(), cutoverView.requestedBy(), "finished", cutoverView.startedAt(),
                            false, "ABORTED");
                    validation.resume();
                    tickSoon();
                }
                return;
            }
            if (leftFrozen.isEmpty() && cutoverFailure == null) {
                reject(command.id(), "abort " + command.id() + " refused: no cutover is in progress or failed");
                return;
            }
        }
        List<String> thaw;
        synchronized (this) {
            thaw = leftFrozen;
            leftFrozen = List.of();
            cutoverFailure = null;
        }
        try {
            SourceFreeze.unfreeze(config.source(), thaw);
            journal.clear();
            event("command-accepted", command.id(), "abort " + command.id() + ": the failed cutover is set aside" + (thaw.isEmpty() ? ""
                    : "; source databases " + thaw + " are writable again"), null);
        }
        catch (SQLException e) {
            reject(command.id(), "abort " + command.id() + ": could not make " + thaw + " writable again: " + e.getMessage() + "; run 'pgshift unfreeze'");
        }
        tickSoon();
    }

    private synchronized void startValidation(ControlCommand command) {
        if (running != null || !pipeline.loaded().isDone() || completed.isDone()) {
            reject(command.id(), "validate " + command.id() + " refused: " + (running != null ? "a cutover is in progress"
                    : completed.isDone() ? "the migration completed (its report holds the validation)" : "the full load is not complete yet"));
            return;
        }
        event("command-accepted", command.id(), "validate " + command.id() + " accepted", null);
        commands.submit(() -> {
            try {
                Validation.Result result = validation.validateNow();
                event("validation", command.id(), result.allEqual() ? "all " + result.tables().size() + " tables equal"
                        : "tables differ: " + result.describeDifferences(), result);
            }
            catch (Exception e) {
                event("validation", command.id(), "validation failed: " + e.getMessage(), null);
            }
        });
    }

    /** Runs a status round on the status thread and waits for it. */
    private void tickNow() {
        try {
            ticker.submit(this::tick).get(30, TimeUnit.SECONDS);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("Status round failed: {}", e.toString());
        }
    }

    private void tickSoon() {
        if (!closing) {
            ticker.execute(this::tick);
        }
    }

    // ------------------------------------------------------------------------------------------------------------ accessors

    public MigrationStatus status() {
        return latest;
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    /** Completes with the report when a cutover completes. */
    public CompletableFuture<CutoverReport> completion() {
        return completed;
    }

    /** The validation of this migration: online passes, on demand, at the cutover. */
    public Validation validation() {
        return validation;
    }

    /** The HTTP port, or −1 without a server. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void close() {
        closing = true;
        commands.shutdownNow();
        if (validation != null) {
            validation.close();
        }
        if (control != null) {
            control.wakeup();
        }
        ticker.shutdown();
        try {
            ticker.awaitTermination(10, TimeUnit.SECONDS);
            if (controlThread != null) {
                controlThread.join(10_000);
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (publisher != null) {
            // The last word: this coordinator no longer answers commands.
            MigrationStatus last = latest;
            publisher.publish(MigrationStatus.TYPE, status(last.phase(), last.reason(), last.databases()));
            publisher.close();
        }
        collector.close();
        if (pipeline != null) {
            pipeline.close();
        }
        if (http != null) {
            http.close();
        }
    }
}
