package io.pgshift.source;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.pgshift.core.Lsn;
import io.pgshift.core.MigrationNames;
import io.pgshift.core.TableId;
import io.pgshift.core.catalog.Catalog;
import io.pgshift.core.catalog.TableInfo;

/**
 * Capture of one source database: the Debezium PostgreSQL connector (pgoutput) in the embedded engine,
 * an initial consistent snapshot and then the change stream, each record written to Kafka by
 * {@link KafkaPublisher}. Source offsets live in Kafka, so a restart resumes after the last
 * acknowledged batch.
 */
public final class CaptureEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CaptureEngine.class);

    private final CaptureConfig config;
    /** The captured tables: tables created on the source join, renamed ones change their name (schema change capture). */
    private volatile List<TableInfo> tables;
    /** Each captured table's topic (a renamed table keeps its topic). */
    private final Map<TableId, String> topicOf = new ConcurrentHashMap<>();
    private final List<java.util.function.Consumer<String>> newTopicListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final LoadPlan loadPlan;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaPublisher publisher;
    private final DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private final ExecutorService runner = Executors.newSingleThreadExecutor(r -> new Thread(r, "pgshift-capture"));
    private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pgshift-fence-heartbeat");
        t.setDaemon(true);
        return t;
    });
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    /** The bulk load's producer and snapshot while a new bulk load is to run; null otherwise. */
    private final KafkaProducer<byte[], byte[]> loadProducer;
    private final ExportedSnapshot snapshot;
    private final CompletableFuture<BulkLoader.Summary> bulkLoaded = new CompletableFuture<>();
    private final CompletableFuture<Void> streamable = new CompletableFuture<>();
    private volatile BulkLoader loader;
    private final int loadPartitions;
    private final Map<Long, CompletableFuture<FencePoint>> pendingFences = new ConcurrentHashMap<>();
    private volatile FencePoint lastFence;

    private CaptureEngine(CaptureConfig config, List<TableInfo> tables, Set<Integer> inexactNativeTypes, Map<TableId, List<String>> keyPartitioned,
                          LoadPlan loadPlan, Map<Long, TableId> oids, boolean ddlCaptured,
                          KafkaProducer<byte[], byte[]> loadProducer, ExportedSnapshot snapshot, int loadPartitions) {
        this.loadPartitions = loadPartitions;
        this.config = config;
        this.tables = List.copyOf(tables);
        tables.forEach(t -> topicOf.put(t.id(), config.tableTopic(t.id())));
        this.loadPlan = loadPlan;
        this.loadProducer = loadProducer;
        this.snapshot = snapshot;
        if (snapshot == null) {
            bulkLoaded.complete(null);
        }
        Set<TableId> ids = tables.stream().map(TableInfo::id).collect(Collectors.toSet());
        this.producer = new KafkaProducer<>(producerProperties(config), new ByteArraySerializer(), new ByteArraySerializer());
        // Old row images are whole where REPLICA IDENTITY FULL is set: on the table, or on every leaf of a partitioned table without a
        // key (tables.sql requires it there).
        Set<TableId> completeOldRows = tables.stream().filter(t -> t.replicaIdentity() == 'f' || (t.partitioned() && t.keyColumns().isEmpty()))
                .map(TableInfo::id).collect(Collectors.toSet());
        this.publisher = new KafkaPublisher(producer, config.names(), config.database(), ids, completeOldRows, keyPartitioned, this::onFence, oids,
                ddlCaptured ? new Membership() : KafkaPublisher.Membership.NONE);
        Properties props = DebeziumProperties.build(config, tables, inexactNativeTypes, ddlCaptured ? config.selection() : null);
        LOG.info("Capture of source database '{}': {}", config.database(), DebeziumProperties.masked(props));
        this.engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(props)
                .notifying(publisher)
                .using((success, message, error) -> {
                    if (success) {
                        finished.complete(null);
                    }
                    else {
                        finished.completeExceptionally(new CaptureFailedException("Capture of source database '" + config.database()
                                + "' stopped: " + message + (error != null && error.getMessage() != null && !message.contains(error.getMessage())
                                        ? " (" + error.getMessage() + ")" : "") + unreadableValue(error), error));
                    }
                })
                .build();
    }

    private static final Pattern TIMETZ_WITH_SECONDS_OFFSET =
            Pattern.compile("Text '(\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?[+-]\\d{2}:\\d{2}:\\d{2})' could not be parsed");

    /**
     * What to do when Debezium's decoder cannot read a value, which stops it at the same change on every restart: a {@code timetz}
     * whose UTC offset has seconds (a historic local mean time, {@code '10:00:00+01:02:03'}) is the one known here (Debezium's
     * {@code DateTimeFormat} reads offsets as {@code +HH:mm}). Empty for any other failure.
     */
    static String unreadableValue(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            Matcher m = t.getMessage() == null ? null : TIMETZ_WITH_SECONDS_OFFSET.matcher(t.getMessage());
            if (m != null && m.find()) {
                return ". A time with time zone (timetz) value whose UTC offset has seconds ('" + m.group(1) + "') was written on the source,"
                        + " and Debezium's decoder cannot read it: every restart stops at the same change. Find it with SELECT ... WHERE"
                        + " extract(timezone FROM <column>)::int % 60 <> 0; then leave its table out of the migration (tables.exclude) and copy"
                        + " it during the cutover, or store the value with an offset in whole minutes";
            }
        }
        return "";
    }

    /**
     * Prepares the source (fence table, publication) and Kafka (a topic per table), and decides what
     * happens to the initial load ({@link #loadPlan()}); {@link #start()} then starts capturing.
     */
    public static CaptureEngine prepare(CaptureConfig config) throws SQLException, InterruptedException {
        List<TableInfo> tables;
        Set<Integer> inexactNativeTypes;
        Map<TableId, List<String>> keyPartitioned = new HashMap<>();
        LoadPlan plan;
        Map<Long, TableId> oids;
        boolean ddlCaptured;
        try (Connection c = config.source().connect(config.database(), "pgshift-capture-setup")) {
            tables = SourceSetup.prepare(c, config);
            ddlCaptured = config.captureDdl() && SourceSetup.ddlCaptureInstalled(c);
            oids = oids(c, tables);
            inexactNativeTypes = Catalog.inexactNativeTypes(c, tables);
            if (config.partitionsPerTable() > 1) {
                Set<TableId> partitionable = Catalog.keyPartitionable(c, tables);
                tables.stream().filter(t -> partitionable.contains(t.id())).forEach(t -> keyPartitioned.put(t.id(), t.keyColumns()));
                LOG.info("Changes of {} of the {} tables of source database '{}' are spread over {} partitions by key; the others' keep one"
                        + " partition (a key of another type, another unique index or exclusion constraint, or a partitioned table).",
                        keyPartitioned.size(), tables.size(), config.database(), config.partitionsPerTable());
            }
            Map<TableId, String> tableTopics = tables.stream().collect(Collectors.toMap(TableInfo::id, t -> config.tableTopic(t.id())));
            Map<String, List<TableId>> collisions = MigrationNames.topicCollisions(tableTopics);
            if (!collisions.isEmpty()) {
                throw new IllegalStateException("Tables of source database '" + config.database() + "' would share a Kafka topic: " + collisions.values()
                        + " (Kafka reads '.' and '_' in topic names as one). Rename one of each, or leave it out with 'tables.exclude'.");
            }
            try (Admin admin = Admin.create(adminProperties(config))) {
                Topics.ensure(admin, List.copyOf(tableTopics.values()),
                        config.partitionsPerTable(), config.replicationFactor());
                if (config.bulkLoad()) {
                    Topics.ensure(admin, List.of(config.names().loadTopic(config.database())), config.load().partitions(), config.replicationFactor(),
                            BulkLoader.topicConfigs());
                }
            }
            catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new CaptureFailedException("Cannot create the topics on Kafka at " + config.bootstrapServers() + ": "
                        + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()) + ". Check kafka.bootstrap and that the cluster is reachable.", e);
            }
            plan = decideLoad(c, config);
        }
        if (!config.bulkLoad() || plan == LoadPlan.RESUME) {
            return new CaptureEngine(config, tables, inexactNativeTypes, keyPartitioned, plan, oids, ddlCaptured, null, null, 0);
        }
        // A new bulk load: its start record on every partition of the load topic, then the slot with its exported snapshot.
        String topic = config.names().loadTopic(config.database());
        int partitions = partitionCount(config, topic);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(loadProducerProperties(config), new ByteArraySerializer(), new ByteArraySerializer());
        try {
            String slot = config.names().slotName(config.database());
            BulkLoader.publishMarkers(producer, topic, partitions, io.pgshift.core.load.LoadPart.marker(io.pgshift.core.load.LoadPart.Type.START, slot));
            ExportedSnapshot snapshot = ExportedSnapshot.create(config.source(), config.database(), slot);
            return new CaptureEngine(config, tables, inexactNativeTypes, keyPartitioned, plan, oids, ddlCaptured, producer, snapshot, partitions);
        }
        catch (SQLException | RuntimeException | InterruptedException e) {
            producer.close(Duration.ZERO);
            throw e;
        }
    }

    /**
     * Whether the bulk load of this capture's database is complete in Kafka (every part and its end records in the load topic): then a
     * start resumes streaming from the slot; otherwise it loads again (see {@link #prepare}).
     */
    public static boolean bulkLoadCompleted(CaptureConfig config) {
        return config.bulkLoad() && LoadTopic.completed(adminProperties(config), config.names().loadTopic(config.database()));
    }

    /** The partitions of the load topic (it may have been created with another count by an earlier run); waits for a new topic's metadata. */
    private static int partitionCount(CaptureConfig config, String topic) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Admin admin = Admin.create(adminProperties(config))) {
            while (true) {
                try {
                    return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions().size();
                }
                catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(100); // a topic just created: the broker's metadata does not have it yet
                }
            }
        }
        catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new CaptureFailedException("Cannot describe topic " + topic + " on Kafka at " + config.bootstrapServers() + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
    }

    /**
     * A load resumes only when its slot exists and its committed offset says the snapshot completed.
     * Otherwise a resumed Debezium snapshot would not be consistent with the slot (and rows deleted in the
     * meantime would stay on the target), so the slot and the offset are dropped and the load starts over.
     */
    private static LoadPlan decideLoad(Connection c, CaptureConfig config) throws SQLException {
        String slot = config.names().slotName(config.database());
        // On Kafka Connect the Debezium connector streams from the slot while this process only loads.
        boolean slotExists = SourceSetup.slotExists(c, slot, config.debeziumTopics());
        java.util.Optional<CommittedOffset> offset = CommittedOffset.read(adminProperties(config), config.names().offsetsTopic(),
                config.names().connectorName(config.database()));
        if (config.bulkLoad() && slotExists && LoadTopic.completed(adminProperties(config), config.names().loadTopic(config.database()))) {
            LOG.info("Capture of '{}' resumes streaming from slot {}: its bulk load is complete in Kafka", config.database(), slot);
            return LoadPlan.RESUME;
        }
        if (!config.bulkLoad() && slotExists && offset.isPresent() && !offset.get().initialLoadInProgress()) {
            LOG.info("Capture of '{}' resumes streaming from its committed offset (slot {})", config.database(), slot);
            return LoadPlan.RESUME;
        }
        if (!slotExists && offset.isEmpty()) {
            return LoadPlan.FRESH;
        }
        String why = !slotExists ? "its replication slot " + slot + " no longer exists"
                : offset.isEmpty() ? "it committed no position" : "its initial load did not complete";
        LOG.warn("A previous capture of source database '{}' cannot be resumed ({}): starting the initial load again from a new consistent snapshot",
                config.database(), why);
        if (slotExists) {
            SourceSetup.dropSlot(c, slot);
        }
        offset.ifPresent(o -> o.delete(adminProperties(config), config.names().offsetsTopic()));
        return LoadPlan.RESTART;
    }

    /**
     * Starts capturing in the background. A new bulk load first opens its readers in the exported snapshot and releases it; the
     * stream then starts at the slot's consistent point while the readers copy the tables. Otherwise Debezium's snapshot (unless
     * resuming) and the stream.
     */
    public CaptureEngine start() {
        if (snapshot != null) {
            Thread t = new Thread(this::runBulkLoad, "pgshift-load-" + config.database());
            t.setDaemon(true);
            t.start();
        }
        else {
            startEngine();
        }
        // Heartbeat rows keep the slot advancing on an idle database: for this capture's Debezium, or on Kafka Connect for the connector
        // streaming the slot (the coordinator writes them while it runs).
        if (config.fenceIntervalMs() > 0 && (config.runsEngine() || config.debeziumTopics())) {
            heartbeat.scheduleWithFixedDelay(this::writeHeartbeat, config.fenceIntervalMs(), config.fenceIntervalMs(), TimeUnit.MILLISECONDS);
        }
        LOG.info("Capture of source database '{}' started ({} load): {} tables, slot {}, publication {}", config.database(),
                loadPlan.name().toLowerCase(java.util.Locale.ROOT), tables.size(), config.names().slotName(config.database()),
                config.names().publicationName(config.database()));
        return this;
    }

    /** Runs Debezium, unless this capture does not stream (a bulk load whose slot is left at its consistent point). */
    private void startEngine() {
        streamable.complete(null);
        if (config.runsEngine()) {
            runner.execute(engine);
        }
        else {
            LOG.info("Capture of '{}' does not stream: slot {} stays at its consistent point with every change made since",
                    config.database(), config.names().slotName(config.database()));
        }
    }

    private void runBulkLoad() {
        try {
            BulkLoader bulk = new BulkLoader(config, loadProducer, config.names().loadTopic(config.database()), loadPartitions,
                    snapshot.slot() + "@" + snapshot.consistentPoint());
            loader = bulk;
            List<LoadChunk> chunks;
            try {
                chunks = bulk.open(snapshot, tables);
            }
            finally {
                snapshot.close();
            }
            startEngine();
            bulkLoaded.complete(bulk.run(chunks));
        }
        catch (BulkLoader.LoadStoppedException e) {
            LOG.info("{}", e.getMessage());
            streamable.completeExceptionally(e);
            bulkLoaded.completeExceptionally(e);
        }
        catch (Exception | Error e) {
            String why = e.getMessage() != null ? e.getMessage() : e.toString();
            LOG.error("The bulk load of source database '{}' failed: {}", config.database(), why);
            String next = e instanceof BulkLoader.LoadRowTooLargeException ? "" // its message says what to do; loading again would fail the same way
                    : (why.endsWith(".") ? " " : ". ") + "Restarting pgshift starts the load again from a new snapshot.";
            CaptureFailedException failure = new CaptureFailedException("The bulk load of source database '" + config.database() + "' failed: " + why
                    + next, e);
            streamable.completeExceptionally(failure);
            bulkLoaded.completeExceptionally(failure);
            finished.completeExceptionally(failure);
        }
        finally {
            loadProducer.close(Duration.ofSeconds(30));
        }
    }

    /**
     * Completes when the slot may be streamed from: at once when resuming, or once a new bulk load's readers hold its exported snapshot
     * (the session that created the slot with it lets go of the slot then). Whoever streams the slot (this capture's Debezium, or the
     * Debezium connector on Kafka Connect) starts then.
     */
    public CompletableFuture<Void> streamable() {
        return streamable;
    }

    public LoadPlan loadPlan() {
        return loadPlan;
    }

    /**
     * Completes when every part of a new bulk load is in Kafka, followed by its end records; at once when no bulk load runs (resumed,
     * Debezium's snapshot, or no load). Completes exceptionally when the load failed.
     */
    public CompletableFuture<?> bulkLoaded() {
        return bulkLoaded;
    }

    /** The load topic, when loads are bulk copies. */
    public java.util.Optional<String> loadTopic() {
        return config.bulkLoad() ? java.util.Optional.of(config.names().loadTopic(config.database())) : java.util.Optional.empty();
    }

    /** Every topic this capture writes: the table topics and the load topic. */
    public List<String> allTopics() {
        List<String> all = new java.util.ArrayList<>(topics().values());
        loadTopic().ifPresent(all::add);
        return all;
    }

    static Map<String, Object> adminProperties(CaptureConfig config) {
        Map<String, Object> p = new java.util.HashMap<>(config.kafkaProperties());
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, config.names().connectorName(config.database()) + ".admin");
        return p;
    }

    /**
     * The bulk load's producer: one record per batch (parts are up to partBytes), idempotent, and no compression by Kafka: parts are
     * LZ4 blocks already ({@link io.pgshift.core.load.PartValues}), which the broker stores without decompressing them to validate.
     */
    private static Map<String, Object> loadProducerProperties(CaptureConfig config) {
        Map<String, Object> p = producerProperties(config);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, config.names().connectorName(config.database()) + ".load");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(config.load().partBytes() + (16 << 10))); // a part and its headers
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");

        // At least one record of the largest size a topic takes: a single row larger than a part travels alone (Kafka refuses a record
        // larger than the buffer before any size check of pgshift's could name its table).
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(Math.max(Topics.MAX_RECORD_BYTES + (1L << 20), 16L * config.load().partBytes())));
        return p;
    }

    private static Map<String, Object> producerProperties(CaptureConfig config) {
        Map<String, Object> p = new java.util.HashMap<>(config.kafkaProperties());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, config.names().connectorName(config.database()) + ".capture");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(512 * 1024));
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(Topics.MAX_RECORD_BYTES));
        // send() waits while this much is unacknowledged; it holds at least one record of the largest size a topic takes.
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(Topics.MAX_RECORD_BYTES + (1L << 20)));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "300000");
        return p;
    }

    /**
     * Inserts a fence row on the source and completes when the capture has seen it and Kafka holds
     * everything committed on the source before it.
     */
    public CompletableFuture<FencePoint> fence() throws SQLException {
        if (!config.runsEngine()) {
            return CompletableFuture.failedFuture(new CaptureFailedException("Capture of source database '" + config.database()
                    + "' does not stream (migrate --skip-streaming), so no change and no fence reaches Kafka; run 'pgshift migrate' to stream", null));
        }
        long id;
        CompletableFuture<FencePoint> done = new CompletableFuture<>();
        try (Connection c = config.source().connect(config.database(), "pgshift-fence")) {
            c.setAutoCommit(false);
            id = SourceSetup.insertFence(c, "fence");
            pendingFences.put(id, done);
            c.commit();
        }
        finished.whenComplete((v, e) -> done.completeExceptionally(e != null ? e
                : new CaptureFailedException("Capture of source database '" + config.database() + "' stopped before fence " + id + " arrived", null)));
        return done;
    }

    private void onFence(FencePoint point) {
        lastFence = point;
        // A fence also covers every earlier one still waited for.
        pendingFences.entrySet().removeIf(e -> {
            if (e.getKey() <= point.fenceId()) {
                e.getValue().complete(point);
                return true;
            }
            return false;
        });
    }

    private void writeHeartbeat() {
        try (Connection c = config.source().connect(config.database(), "pgshift-heartbeat")) {
            c.setAutoCommit(false);
            long id = SourceSetup.insertFence(c, "heartbeat");
            SourceSetup.trimFences(c, id);
            c.commit();
        }
        catch (SQLException | RuntimeException e) {
            LOG.warn("Could not write the heartbeat row to pgshift.fence in source database '{}': {}", config.database(), e.getMessage());
        }
    }

    public String database() {
        return config.database();
    }

    public List<TableInfo> tables() {
        return tables;
    }

    /** The table topics this capture writes, one per table (a table renamed on the source keeps its topic). */
    public Map<TableId, String> topics() {
        Map<TableId, String> topics = new java.util.LinkedHashMap<>();
        tables.forEach(t -> topics.put(t.id(), topicOf.getOrDefault(t.id(), config.tableTopic(t.id()))));
        return topics;
    }

    /** Calls {@code listener} with the topic of each table that joins the migration from now on (a table created on the source). */
    public void onNewTopic(java.util.function.Consumer<String> listener) {
        newTopicListeners.add(listener);
    }

    /** The captured tables' pg_class oids. */
    private static Map<Long, TableId> oids(Connection c, List<TableInfo> tables) throws SQLException {
        Map<Long, TableId> oids = new HashMap<>();
        try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT t, to_regclass(t)::oid FROM unnest(?::text[]) t")) {
            ps.setArray(1, c.createArrayOf("text", tables.stream().map(t -> t.id().quoted()).toArray()));
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long oid = rs.getLong(2);
                    if (!rs.wasNull()) {
                        oids.put(oid, io.pgshift.core.Identifiers.parseQualified(rs.getString(1)));
                    }
                }
            }
        }
        return oids;
    }

    /** Tables joining and renamed as the publisher meets their schema changes (on Debezium's handler thread). */
    private final class Membership implements KafkaPublisher.Membership {
        @Override
        public TableInfo joined(TableId table) {
            TableInfo info;
            try (Connection c = config.source().connect(config.database(), "pgshift-capture-join")) {
                info = Catalog.selectedTables(c, config.selection()).stream().filter(t -> t.id().equals(table)).findFirst()
                        .orElse(new TableInfo(table, false, 'd', List.of(), List.of(), 0, Map.of()));
            }
            catch (SQLException e) {
                throw new KafkaPublisher.KafkaPublishException("Table " + table + " was created in source database '" + config.database()
                        + "' and joins the migration, but its catalog entry cannot be read: " + e.getMessage() + ". The source offset was not advanced.", e);
            }
            String topic = config.tableTopic(table);
            try (Admin admin = Admin.create(adminProperties(config))) {
                Topics.ensure(admin, List.of(topic), config.partitionsPerTable(), config.replicationFactor());
            }
            catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | InterruptedException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw new KafkaPublisher.KafkaPublishException("Cannot create topic " + topic + " for table " + table + ", which joins the migration: "
                        + e.getMessage() + ". The source offset was not advanced.", e);
            }
            topicOf.put(table, topic);
            List<TableInfo> now = new java.util.ArrayList<>(tables);
            now.add(info);
            tables = List.copyOf(now);
            newTopicListeners.forEach(l -> l.accept(topic));
            return info;
        }

        @Override
        public void renamed(TableId from, TableId to) {
            String topic = topicOf.remove(from);
            topicOf.put(to, topic != null ? topic : config.tableTopic(from));
            tables = tables.stream().map(t -> t.id().equals(from) ? new TableInfo(to, t.partitioned(), t.replicaIdentity(), t.primaryKey(),
                    t.identityIndexColumns(), t.estimatedRows(), t.identityProblems()) : t).toList();
        }

        @Override
        public boolean selects(TableId table) {
            return config.selection().matches(table);
        }

        @Override
        public List<String> partitionKey(TableId table) {
            if (config.partitionsPerTable() <= 1) {
                return null;
            }
            try (Connection c = config.source().connect(config.database(), "pgshift-capture-join")) {
                List<TableInfo> info = Catalog.selectedTables(c, config.selection()).stream().filter(t -> t.id().equals(table)).toList();
                List<String> key = info.isEmpty() || !Catalog.keyPartitionable(c, info).contains(table) ? null : info.get(0).keyColumns();
                LOG.debug("After a schema change, {} is {}: {}", table, key == null ? "not spreadable" : "spreadable", info);
                return key;
            }
            catch (SQLException e) {
                LOG.warn("Cannot read whether {} may still be spread by key after a schema change ({}); its changes go to partition 0 from now on",
                        table, e.getMessage());
                return null;
            }
        }
    }

    public long publishedRecords() {
        return publisher.publishedCount();
    }

    /** The source LSN of the last batch Kafka acknowledged. */
    public Lsn lastPublishedLsn() {
        return publisher.lastLsn();
    }

    public FencePoint lastFence() {
        return lastFence;
    }

    /** Completes when the engine stops; exceptionally when it failed. */
    public CompletableFuture<Void> finished() {
        return finished;
    }

    public boolean isRunning() {
        return !finished.isDone();
    }

    @Override
    public void close() {
        heartbeat.shutdownNow();
        BulkLoader bulk = loader;
        if (bulk != null) {
            bulk.cancel();
        }
        if (snapshot != null) {
            snapshot.close();
        }
        if (config.runsEngine()) { // also before the engine runs: a closed engine refuses to start, so a load finishing later cannot start it
            closeEngine();
        }
        runner.shutdown();
        try {
            if (!runner.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("The capture of '{}' did not stop within 60 s", config.database());
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(30));
        LOG.info("Capture of source database '{}' stopped after publishing {} records", config.database(), publisher.publishedCount());
    }

    /**
     * Stops the Debezium engine. The engine refuses to stop while its task starts (it would leak the task's replication connection,
     * which keeps the slot in use), so a stop in that moment is tried again until the task has started, for up to 60 s.
     */
    private void closeEngine() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                engine.close();
                return;
            }
            catch (IllegalStateException e) {
                boolean starting = e.getMessage() != null && e.getMessage().contains("tasks are starting");
                if (!starting || System.nanoTime() > deadline) {
                    LOG.warn("Stopping the capture of '{}': {}", config.database(), e.getMessage());
                    return;
                }
                try {
                    Thread.sleep(50);
                }
                catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            catch (Exception e) {
                LOG.warn("Stopping the capture of '{}': {}", config.database(), e.getMessage());
                return;
            }
        }
    }

    /** The capture stopped or could not start; the message says why and what to do. */
    public static final class CaptureFailedException extends RuntimeException {
        public CaptureFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
