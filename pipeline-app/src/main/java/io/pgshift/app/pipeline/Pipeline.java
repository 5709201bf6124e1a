package io.pgshift.app.pipeline;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.core.TableSelection;
import io.pgshift.app.connect.ConnectStreaming;
import io.pgshift.app.schema.SchemaMigrator;
import io.pgshift.app.schema.SchemaSection;
import io.pgshift.core.catalog.TableInfo;
import io.pgshift.sink.ApplierConfig;
import io.pgshift.sink.ApplierStats;
import io.pgshift.sink.ChangeApplier;
import io.pgshift.sink.KafkaApplierLoop;
import io.pgshift.sink.PartitionRef;
import io.pgshift.sink.StreamGate;
import io.pgshift.sink.TargetNeutralization;
import io.pgshift.source.CaptureConfig;
import io.pgshift.source.CaptureEngine;
import io.pgshift.source.FencePoint;
import io.pgshift.source.LoadOptions;
import io.pgshift.source.LoadPlan;
import io.pgshift.testkit.EmbeddedKafkaBroker;

/**
 * One running migration in this process: the embedded broker (unless Kafka is external), and per
 * database a capture and an applier. Started by {@code pgshift migrate} and by the demo.
 */
public final class Pipeline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

    /**
     * One database's capture and applier.
     *
     * @param startedAt when the lane started
     * @param loaded    completes, with the moment, when the full load is applied in the target and the schema's post-data section
     *                  is in, so that changes are being applied; completes exceptionally when either failed
     */
    public record Lane(MigrationConfig.DatabaseMapping mapping, CaptureEngine capture, KafkaApplierLoop applier, ApplierStats stats,
                       java.time.Instant startedAt, CompletableFuture<java.time.Instant> loaded) {
    }

    private final MigrationConfig config;
    private final EmbeddedKafkaBroker broker;
    private final String bootstrap;
    private final List<Lane> lanes = new ArrayList<>();
    private final ExecutorService appliers = Executors.newCachedThreadPool(r -> new Thread(r, "pgshift-applier"));
    private final ExecutorService loaders = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "pgshift-load-finisher");
        t.setDaemon(true);
        return t;
    });
    private final java.util.concurrent.ScheduledExecutorService slotWatch = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pgshift-slot-watch");
        t.setDaemon(true);
        return t;
    });
    private final PipelineOptions options;
    private final Admin admin;
    /** Streaming through Kafka Connect (connect.url); null when this process streams. */
    private final ConnectStreaming connect;
    private final Map<String, ConnectStreaming.Lane> connectLanes = new java.util.concurrent.ConcurrentHashMap<>();
    private boolean streamingStopped;
    private boolean applyingStopped;

    private Pipeline(MigrationConfig config, PipelineOptions options, EmbeddedKafkaBroker broker, String bootstrap) {
        this.config = config;
        this.options = options;
        this.broker = broker;
        this.bootstrap = bootstrap;
        Map<String, Object> adminProps = new HashMap<>(config.kafka().properties());
        adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        adminProps.put(AdminClientConfig.CLIENT_ID_CONFIG, "pgshift." + config.name() + ".coordinator");
        this.admin = Admin.create(adminProps);
        Map<String, Object> consumerProps = new HashMap<>(config.kafka().properties());
        consumerProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        this.connect = config.viaConnect() ? new ConnectStreaming(config, admin, consumerProps) : null;
    }

    /** Starts every step: the broker if embedded, then for each database schema, capture and applier. */
    public static Pipeline start(MigrationConfig config) throws IOException, SQLException, InterruptedException {
        return start(config, PipelineOptions.all());
    }

    /**
     * Starts the broker if embedded, then for each database: the schema's pre-data section, the capture (with its
     * snapshot) and the applier; once the load is applied, the post-data section, after which changes are applied.
     */
    public static Pipeline start(MigrationConfig config, PipelineOptions options) throws IOException, SQLException, InterruptedException {
        LOG.info("Starting {} ({})", config.describe(), options);
        checkConnectivity(config);
        EmbeddedKafkaBroker broker = null;
        String bootstrap = config.kafka().bootstrap();
        if (config.kafka().embedded()) {
            broker = EmbeddedKafkaBroker.start(config.workDir().resolve("kafka"));
            bootstrap = broker.bootstrapServers();
        }
        Pipeline pipeline = new Pipeline(config, options, broker, bootstrap);
        try {
            if (pipeline.connect != null && options.streaming()) {
                pipeline.validateConnectors();
            }
            for (MigrationConfig.DatabaseMapping db : config.databases()) {
                pipeline.startLane(db);
            }
        }
        catch (IOException | SQLException | InterruptedException | RuntimeException e) {
            pipeline.close();
            throw e;
        }
        return pipeline;
    }

    /** Fails fast, before anything starts, when a server or a source database cannot be reached. */
    static void checkConnectivity(MigrationConfig config) throws SQLException {
        for (MigrationConfig.DatabaseMapping db : config.databases()) {
            try (java.sql.Connection c = config.source().connect(db.source(), "pgshift-check")) {
                c.isValid(5);
            }
            catch (SQLException e) {
                throw refusedLogin(config.source(), e);
            }
        }
        try (java.sql.Connection c = config.target().connect("postgres", "pgshift-check")) {
            c.isValid(5);
        }
        catch (SQLException e) {
            throw refusedLogin(config.target(), e);
        }
    }

    /** A refused password (SQLSTATE 28P01) as the configuration error it is, at its key; any other failure as it is. */
    private static SQLException refusedLogin(io.pgshift.core.PgEndpoint endpoint, SQLException e) {
        if ("28P01".equals(e.getSQLState())) {
            throw new io.pgshift.app.config.ConfigException(endpoint.role() + ".password", "the " + endpoint.role() + " server refuses the password of"
                    + " user " + endpoint.user() + " (" + e.getMessage() + "); fix it, or " + endpoint.role() + ".user");
        }
        return e;
    }

    /**
     * Before anything moves: both connectors of every database, as they will be created, are validated by the Connect cluster; a refused
     * key is reported at the migration.yaml key behind it.
     */
    private void validateConnectors() throws SQLException, InterruptedException {
        Map<MigrationConfig.DatabaseMapping, List<TableInfo>> selected = new java.util.LinkedHashMap<>();
        for (MigrationConfig.DatabaseMapping db : config.databases()) {
            try (Connection c = config.source().connect(db.source(), "pgshift-connect-check")) {
                selected.put(db, io.pgshift.core.catalog.Catalog.selectedTables(c, config.tables()));
            }
        }
        // A pattern that selects nothing names a table that is not there (a connector would be created without it, silently).
        for (String pattern : config.tables().include()) {
            TableSelection one = new TableSelection(List.of(pattern), config.tables().exclude());
            if (selected.values().stream().flatMap(List::stream).noneMatch(t -> one.matches(t.id()))) {
                throw new io.pgshift.app.config.ConfigException("tables.include", "pattern '" + pattern + "' selects no table in source database(s) "
                        + config.databases().stream().map(MigrationConfig.DatabaseMapping::source).toList() + " (or tables.exclude leaves it out):"
                        + " fix the name (case matters, patterns are schema.table), or remove it");
            }
        }
        for (MigrationConfig.DatabaseMapping db : config.databases()) {
            SchemaMigrator.ensureDatabase(config.target(), db.target());
            List<TableInfo> tables = selected.get(db);
            try (Connection c = config.source().connect(db.source(), "pgshift-connect-check")) {
                connect.checkNames(c, db, tables);
                connect.validate(connect.plan(db, captureConfig(db), tables, c));
            }
            LOG.info("Kafka Connect at {} accepts the connectors of database '{}'", config.connect().url(), db.source());
        }
    }

    private CaptureConfig captureConfig(MigrationConfig.DatabaseMapping db) {
        short rf = config.kafka().embedded() ? 1 : config.kafka().replicationFactor();
        // On Kafka Connect this process only loads: the Debezium connector streams from the slot the load leaves.
        return new CaptureConfig(config.names(), config.source(), db.source(), config.tables(), bootstrap, config.kafka().properties(),
                config.kafka().partitionsPerTable(), rf, config.debezium(), config.heartbeatIntervalMs(), options.load(), loadOptions(config),
                options.streaming() && connect == null, connect != null, config.captureDdl() && connect == null);
    }

    private void startLane(MigrationConfig.DatabaseMapping db) throws IOException, SQLException, InterruptedException {
        SchemaMigrator schema = new SchemaMigrator(config.source(), db.source(), config.target(), db.target(), config.tables(),
                config.workDir(), config.load().indexJobs());
        SchemaMigrator.ensureDatabase(config.target(), db.target());
        if (options.preData()) {
            schema.apply(SchemaSection.PRE_DATA);
        }
        CaptureConfig cc = captureConfig(db);
        if (connect != null && !CaptureEngine.bulkLoadCompleted(cc)) {
            // A new load: an earlier attempt's connectors go first (the Debezium connector of an interrupted load holds the slot).
            connect.reset(db);
        }
        CaptureEngine capture = CaptureEngine.prepare(cc);
        ConnectStreaming.Lane connectLane = null;
        if (connect != null) {
            try (Connection c = config.source().connect(db.source(), "pgshift-connect-plan")) {
                connectLane = connect.plan(db, cc, capture.tables(), c);
            }
            connectLanes.put(db.source(), connectLane);
        }
        if (capture.loadPlan() != LoadPlan.RESUME) {
            discardEarlierAttempt(db, capture);
        }
        boolean postDataPending = options.postData() && !schema.postDataDone();
        // Changes wait until the load is applied: those of a bulk load travel on the load topic, apart from the changes, so only the gate
        // keeps a change from reaching a row before the row's chunk does; and until post-data gave the target its keys.
        StreamGate gate = postDataPending || capture.loadTopic().isPresent() ? StreamGate.closed() : StreamGate.alwaysOpen();
        if (!postDataPending) {
            neutralizeTarget(db, capture);
        }
        capture.start();
        if (connectLane != null && options.streaming()) {
            ConnectStreaming.Lane source = connectLane;
            capture.streamable().thenRunAsync(() -> {
                try {
                    connect.startSource(source);
                }
                catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                catch (RuntimeException e) {
                    LOG.error("Creating the Debezium connector of '{}' on Kafka Connect failed: {}", db.source(), e.getMessage());
                    connect.failed(db.source(), "the Debezium connector of '" + db.source() + "' could not be created on Kafka Connect: " + e.getMessage());
                }
            }, loaders);
        }
        ApplierStats stats = new ApplierStats(4 * config.validation().maxChangedRows());
        // On Kafka Connect this process applies the load topic only; the sink connector applies the table topics.
        List<String> applied = connect != null ? List.of(capture.loadTopic().orElseThrow()) : capture.allTopics();
        ApplierConfig ac = new ApplierConfig(config.target(), db.target(), applied,
                config.names().applierGroup(db.target()), bootstrap, config.kafka().properties(), config.maxBatchRecords(),
                config.source(), db.source(), config.applyWorkers());
        KafkaApplierLoop applier = new KafkaApplierLoop(ac, stats, gate);
        if (connect == null) {
            // A table created on the source joins: its topic's first record is its CREATE TABLE.
            capture.onNewTopic(topic -> applier.addTopics(List.of(topic)));
        }
        appliers.execute(applier);
        Lane lane = new Lane(db, capture, applier, stats, java.time.Instant.now(), new CompletableFuture<>());
        lanes.add(lane);
        ConnectStreaming.Lane viaConnect = connectLane;
        loaders.execute(() -> finishLoad(lane, postDataPending ? schema : null, gate, viaConnect));
        if (options.load() && capture.loadPlan() != LoadPlan.RESUME) {
            watchSlot(lane);
        }
    }

    /**
     * Before changes are applied: what the target tables would do on their own to replicated writes (GENERATED ALWAYS identity,
     * triggers and rules enabled ALWAYS or REPLICA, which post-data created) is turned off until the cutover restores it.
     */
    private void neutralizeTarget(MigrationConfig.DatabaseMapping db, CaptureEngine capture) throws SQLException {
        try (Connection t = config.target().connect(db.target(), "pgshift-neutralize");
             Connection s = config.source().connect(db.source(), "pgshift-neutralize")) {
            TargetNeutralization.neutralize(t, s, capture.tables().stream().map(TableInfo::id).toList());
        }
    }

    static LoadOptions loadOptions(MigrationConfig config) {
        MigrationConfig.Load load = config.load();
        return new LoadOptions("debezium".equals(load.method()) ? LoadOptions.Method.DEBEZIUM : LoadOptions.Method.COPY, load.readers(),
                (long) load.chunkMegabytes() << 20, LoadOptions.DEFAULT_PART_BYTES, config.applyWorkers(), (long) load.slotWalWarnMegabytes() << 20);
    }

    /**
     * While the lane's load runs, checks every 10 s how much source WAL its slot holds back, and warns past the threshold (then again at
     * every doubling): the source keeps that WAL on disk until the slot moves on.
     */
    private void watchSlot(Lane lane) {
        long threshold = (long) config.load().slotWalWarnMegabytes() << 20;
        String slot = config.names().slotName(lane.mapping().source());
        long[] next = {threshold};
        java.util.concurrent.ScheduledFuture<?> task = slotWatch.scheduleWithFixedDelay(() -> {
            try (java.sql.Connection c = config.source().connect(lane.mapping().source(), "pgshift-slot-watch");
                 java.sql.PreparedStatement ps = c.prepareStatement(
                         "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slot);
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getLong(1) >= next[0]) {
                        LOG.warn("Replication slot {} of source database '{}' holds back {} MB of WAL while the load runs (load.slotWalWarnMegabytes is {}):"
                                + " the source keeps it on disk until the load is applied and streaming moves the slot on. Watch the source's free"
                                + " disk space; if it runs short, stop pgshift, drop the slot with pgshift cleanup, and start again later.",
                                slot, lane.mapping().source(), rs.getLong(1) >> 20, config.load().slotWalWarnMegabytes());
                        while (next[0] <= rs.getLong(1)) {
                            next[0] *= 2;
                        }
                    }
                }
            }
            catch (java.sql.SQLException | RuntimeException e) {
                LOG.debug("Checking the WAL held by slot {}: {}", slot, e.getMessage());
            }
        }, 10, 10, TimeUnit.SECONDS);
        lane.loaded().whenComplete((t, e) -> task.cancel(false));
    }

    /**
     * Waits until the lane's full load is applied, then applies the post-data section (when {@code schema} is given)
     * and opens the gate for changes.
     */
    private void finishLoad(Lane lane, SchemaMigrator schema, StreamGate gate, ConnectStreaming.Lane viaConnect) {
        try {
            long t0 = System.nanoTime();
            awaitLoadApplied(lane);
            LOG.info("Full load of '{}' applied in target database '{}' ({} rows)", lane.mapping().source(), lane.mapping().target(),
                    lane.stats().tables().values().stream().mapToLong(ApplierStats.TableStats::snapshotRows).sum());
            if (schema != null) {
                schema.apply(SchemaSection.POST_DATA);
                neutralizeTarget(lane.mapping(), lane.capture());
            }
            gate.open();
            if (viaConnect != null && options.streaming()) {
                // The load is applied: this process's applier stops, and the connectors take over the table topics.
                lane.applier().close();
                lane.applier().finished().get(60, TimeUnit.SECONDS);
                connect.startSink(viaConnect, lane.capture().tables(), lane.stats());
            }
            lane.loaded().complete(java.time.Instant.now());
            LOG.info("Database '{}' now streams changes into '{}' ({} ms after the start)", lane.mapping().source(), lane.mapping().target(),
                    (System.nanoTime() - t0) / 1_000_000);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            lane.loaded().cancel(false);
        }
        catch (Exception e) {
            LOG.error("Finishing the load of '{}' failed: {}", lane.mapping().source(), e.getMessage());
            lane.loaded().completeExceptionally(e);
        }
    }

    /**
     * Proves the lane's full load is applied: a fence row written now is seen by the capture only after its snapshot
     * (so every snapshot record is in Kafka by then); then every table partition must be applied up to the end it had
     * at that moment, or be held by the gate at its first change (every snapshot record comes before it).
     */
    private void awaitLoadApplied(Lane lane) throws InterruptedException, SQLException, ExecutionException {
        if (lane.capture().loadTopic().isPresent()) {
            awaitBulkLoadApplied(lane, lane.capture().loadTopic().get());
            return;
        }
        lane.capture().fence().get();
        Map<TopicPartition, Long> ends = endOffsets(new ArrayList<>(lane.capture().topics().values()));
        while (true) {
            Map<TopicPartition, Long> applied = lane.applier().appliedOffsets();
            java.util.Set<TopicPartition> held = lane.applier().heldPartitions();
            boolean done = ends.entrySet().stream().allMatch(e -> held.contains(e.getKey()) || applied.getOrDefault(e.getKey(), 0L) >= e.getValue());
            if (done) {
                return;
            }
            if (lane.applier().finished().isDone() || lane.capture().finished().isDone()) {
                throw new IllegalStateException("The capture or the applier of '" + lane.mapping().source() + "' stopped before the load was applied");
            }
            Thread.sleep(50);
        }
    }

    /**
     * Proves a bulk load is applied: once every part is in Kafka (with the end records), the applier must reach the end of every partition
     * of the load topic. Changes wait behind the gate meanwhile; none of them is in the load topic.
     */
    private void awaitBulkLoadApplied(Lane lane, String loadTopic) throws InterruptedException, ExecutionException {
        lane.capture().bulkLoaded().get();
        Map<TopicPartition, Long> ends = endOffsets(List.of(loadTopic));
        while (true) {
            Map<TopicPartition, Long> applied = lane.applier().appliedOffsets();
            if (ends.entrySet().stream().allMatch(e -> applied.getOrDefault(e.getKey(), 0L) >= e.getValue())) {
                return;
            }
            if (lane.applier().finished().isDone() || lane.capture().finished().isDone()) {
                throw new IllegalStateException("The capture or the applier of '" + lane.mapping().source() + "' stopped before the load was applied");
            }
            Thread.sleep(20);
        }
    }

    /** Completes when every database's full load is applied and its post-data section is in: changes are being applied everywhere. */
    public CompletableFuture<Void> loaded() {
        return CompletableFuture.allOf(lanes.stream().map(Lane::loaded).toArray(CompletableFuture[]::new));
    }

    /**
     * A new load: records already in the table topics belong to an earlier attempt. The applier's
     * watermarks move past them, and target tables that attempt wrote to are emptied, in one transaction.
     */
    private void discardEarlierAttempt(MigrationConfig.DatabaseMapping db, CaptureEngine capture) throws SQLException, InterruptedException {
        Map<TopicPartition, Long> ends = endOffsets(capture.allTopics());
        Map<PartitionRef, Long> floors = ends.entrySet().stream()
                .collect(Collectors.toMap(e -> new PartitionRef(e.getKey().topic(), e.getKey().partition()), Map.Entry::getValue));
        try (ChangeApplier applier = new ChangeApplier(config.target(), db.target(), "pgshift-load-reset", new ApplierStats(), java.time.Clock.systemUTC())) {
            List<io.pgshift.core.TableId> emptied = applier.discardPreviousLoad(capture.topics().keySet(), floors);
            // The last record of each load partition is this attempt's own start marker (CaptureEngine.prepare): not the earlier attempt's.
            String loadTopic = capture.loadTopic().orElse(null);
            long skipped = ends.entrySet().stream().mapToLong(e -> e.getKey().topic().equals(loadTopic) ? Math.max(0, e.getValue() - 1) : e.getValue()).sum();
            if (!emptied.isEmpty() || skipped > 0) {
                LOG.warn("New initial load of '{}': emptied target tables {} of database '{}' and skipped {} records of the earlier attempt",
                        db.source(), emptied, db.target(), skipped);
            }
        }
    }

    public List<Lane> lanes() {
        return List.copyOf(lanes);
    }

    public String bootstrapServers() {
        return bootstrap;
    }

    /** The first failure of any capture or applier, if one stopped with an error. */
    public Optional<Throwable> failure() {
        if (connect != null) {
            Optional<String> failed = connect.failure();
            if (failed.isPresent()) {
                return Optional.of(new IllegalStateException(failed.get()));
            }
        }
        for (Lane lane : lanes) {
            for (CompletableFuture<?> f : List.of(lane.capture().finished(), lane.applier().finished(), lane.loaded())) {
                if (f.isCompletedExceptionally()) {
                    try {
                        f.join();
                    }
                    catch (java.util.concurrent.CancellationException e) {
                        continue;
                    }
                    catch (RuntimeException e) {
                        return Optional.of(e.getCause() != null ? e.getCause() : e);
                    }
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Proves the target caught up with the source as of now: writes a fence row in every source database,
     * waits until the capture saw it with everything before it acknowledged by Kafka, then waits until the
     * applier's watermark reached the end of every table partition as of that moment.
     *
     * @return the fence of every source database, by name
     */
    public Map<String, FencePoint> awaitCaughtUp(Duration timeout) throws InterruptedException, TimeoutException, SQLException {
        return awaitCaughtUp(timeout, false);
    }

    /**
     * As {@link #awaitCaughtUp(Duration)}; with {@code exceptHeld} the partitions of tables held at a schema change are left out (the
     * online validation, which does not pass those tables), otherwise a held table fails the wait at once, naming the change.
     */
    public Map<String, FencePoint> awaitCaughtUp(Duration timeout, boolean exceptHeld) throws InterruptedException, TimeoutException, SQLException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, FencePoint> fences = new java.util.LinkedHashMap<>();
        for (Lane lane : lanes) {
            // Not caught up before the full load is applied: a load that failed has applied all it wrote, and a fence still gets through.
            try {
                lane.loaded().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            catch (ExecutionException | java.util.concurrent.CancellationException e) {
                Throwable cause = failure().orElse(e.getCause() != null ? e.getCause() : e);
                throw new IllegalStateException("The migration stopped before the load of '" + lane.mapping().source() + "' was applied: "
                        + cause.getMessage(), cause);
            }
            catch (TimeoutException e) {
                throw new TimeoutException("The full load of '" + lane.mapping().source() + "' was not applied within " + timeout);
            }
            FencePoint fence;
            ConnectStreaming.Lane viaConnect = connectLanes.get(lane.mapping().source());
            if (viaConnect != null) {
                fence = connect.awaitFence(viaConnect, deadline);
            }
            else {
                try {
                    fence = lane.capture().fence().get(remaining(deadline), TimeUnit.NANOSECONDS);
                }
                catch (ExecutionException e) {
                    throw new IllegalStateException("Capture of '" + lane.mapping().source() + "' failed: " + e.getCause().getMessage(), e.getCause());
                }
            }
            Map<TopicPartition, Long> ends = new HashMap<>(endOffsets(lane.capture().allTopics()));
            LOG.debug("Fence {} of '{}' at {}: waiting for the applier to reach {}", fence.fenceId(), fence.database(), fence.lsn(), ends);
            long nextHoldCheck = 0;
            while (true) {
                failure().ifPresent(f -> {
                    throw new IllegalStateException("The migration stopped: " + f.getMessage(), f);
                });
                if (viaConnect != null) {
                    connect.appliedNow(viaConnect);
                }
                if (pending(lane, ends) == 0) {
                    break;
                }
                if (System.nanoTime() > nextHoldCheck) {
                    // A held schema change keeps its tables' changes pending until an operator resolves it: say so now, not at the timeout.
                    nextHoldCheck = System.nanoTime() + 1_000_000_000L;
                    List<io.pgshift.sink.SchemaChangeHolds.Held> held = heldSchemaChanges(lane.mapping().target());
                    if (exceptHeld) {
                        Map<io.pgshift.core.TableId, String> topics = lane.capture().topics();
                        java.util.Set<String> heldTopics = new java.util.HashSet<>();
                        held.forEach(h -> h.tables().forEach(t -> heldTopics.add(topics.get(io.pgshift.core.Identifiers.parseQualified(t)))));
                        ends.keySet().removeIf(tp -> heldTopics.contains(tp.topic()));
                        if (pending(lane, ends) == 0) {
                            break;
                        }
                    }
                    else if (held.stream().anyMatch(h -> !h.tables().isEmpty())) {
                        throw new IllegalStateException("Cannot catch up: " + held.stream().filter(h -> !h.tables().isEmpty())
                                .map(h -> h.describe(lane.mapping().target())).collect(java.util.stream.Collectors.joining("; ")));
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("The target database '" + lane.mapping().target() + "' did not catch up within " + timeout
                            + ": " + pending(lane, ends) + " records still to apply");
                }
                Thread.sleep(20);
            }
            fences.put(lane.mapping().source(), fence);
        }
        return fences;
    }

    /** One kept connection per target database for reading held schema changes (the status, the online validation and the cutover ask every second). */
    private final Map<String, java.sql.Connection> holdReaders = new HashMap<>();

    /**
     * The schema changes a target database holds (unresolved; see {@link io.pgshift.sink.SchemaChangeHolds}), read on a kept connection.
     *
     * @throws IllegalStateException when the target cannot be read (the connection is dropped, the next call opens another)
     */
    public List<io.pgshift.sink.SchemaChangeHolds.Held> heldSchemaChanges(String targetDatabase) {
        synchronized (holdReaders) { // not the pipeline's own lock, which stopping holds for seconds
            return heldSchemaChangesLocked(targetDatabase);
        }
    }

    private List<io.pgshift.sink.SchemaChangeHolds.Held> heldSchemaChangesLocked(String targetDatabase) {
        java.sql.Connection c = holdReaders.get(targetDatabase);
        try {
            if (c == null || c.isClosed()) {
                c = config.target().connect(targetDatabase, "pgshift-status");
                holdReaders.put(targetDatabase, c);
            }
            return io.pgshift.sink.SchemaChangeHolds.list(c, true);
        }
        catch (SQLException e) {
            holdReaders.remove(targetDatabase);
            closeQuietly(c);
            throw new IllegalStateException("Cannot read the held schema changes of target database '" + targetDatabase + "': " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(java.sql.Connection c) {
        try {
            if (c != null) {
                c.close();
            }
        }
        catch (SQLException e) {
            LOG.trace("close", e);
        }
    }

    /**
     * Records in Kafka that the lane's applier has not applied yet, against the given end offsets: on Kafka Connect, the table topics
     * against the sink's watermarks in the target (as last read), and the load topic against this process's applier.
     */
    public long pending(Lane lane, Map<TopicPartition, Long> endOffsets) {
        Map<TopicPartition, Long> applied = new HashMap<>(lane.applier().appliedOffsets());
        if (connect != null) {
            applied.putAll(connect.applied(lane.mapping().source()));
        }
        long pending = 0;
        for (Map.Entry<TopicPartition, Long> e : endOffsets.entrySet()) {
            pending += Math.max(0, e.getValue() - applied.getOrDefault(e.getKey(), 0L));
        }
        return pending;
    }

    /** The current end offset of every partition of these topics. */
    public Map<TopicPartition, Long> endOffsets(List<String> topics) throws InterruptedException {
        try {
            Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            described.values().forEach(d -> d.partitions().forEach(p -> request.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> result = admin.listOffsets(request).all().get(30, TimeUnit.SECONDS);
            return result.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        }
        catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot read the end offsets of the table topics from Kafka at " + bootstrap + ": " + e.getMessage(), e);
        }
    }

    private static long remaining(long deadline) throws TimeoutException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new TimeoutException("Timed out waiting for the fence");
        }
        return left;
    }

    /**
     * Stops every applier (each finishes its current batch): nothing more is written to the target. The captures go on publishing to
     * Kafka. Idempotent.
     */
    public synchronized void stopApplying() {
        if (applyingStopped) {
            return;
        }
        applyingStopped = true;
        if (connect != null && !connectLanes.isEmpty()) {
            try {
                connect.stopSinks();
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stopLocalAppliers();
    }

    private synchronized void stopLocalAppliers() {
        if (appliers.isShutdown()) {
            return;
        }
        for (Lane lane : lanes) {
            lane.applier().close();
        }
        appliers.shutdown();
        try {
            if (!appliers.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("Appliers did not stop within 30 s");
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops every capture and applier (each finishes its current batch; the replication slots stay), keeping the broker for the
     * status and control topics. Idempotent.
     */
    public synchronized void stopStreaming() {
        if (streamingStopped) {
            return;
        }
        streamingStopped = true;
        stopHere();
        if (connect != null && !connectLanes.isEmpty()) {
            try {
                connect.finish();
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops what runs in this process: captures, appliers, the load's helpers. Connectors on Kafka Connect keep running. */
    private synchronized void stopHere() {
        if (connect != null) {
            connect.close();
        }
        loaders.shutdownNow();
        slotWatch.shutdownNow();
        for (Lane lane : lanes) {
            lane.capture().close();
        }
        stopLocalAppliers();
    }

    public PipelineOptions options() {
        return options;
    }

    public MigrationConfig config() {
        return config;
    }

    /** On Kafka Connect: the connectors, their states and progress; null when this process streams. */
    public ConnectStreaming connect() {
        return connect;
    }

    /**
     * Whether every applied change's key is recorded ({@code ApplierStats#changedRows}): by this process's appliers, or on Kafka Connect by
     * reading the table topics up to the sink's watermarks, when the connectors' converter is on this process's class path.
     */
    public boolean tracksAppliedChanges() {
        return connect == null || connect.tracksAppliedChanges();
    }

    @Override
    public void close() {
        synchronized (holdReaders) {
            holdReaders.values().forEach(Pipeline::closeQuietly);
            holdReaders.clear();
        }
        // The connectors on a Connect cluster keep streaming while the coordinator is down; 'pgshift migrate' takes them over again.
        stopHere();
        admin.close(Duration.ofSeconds(5));
        if (broker != null) {
            broker.close();
        }
        LOG.info("Migration '{}' stopped", config.name());
    }
}
