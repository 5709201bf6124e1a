package io.pgshift.app.connect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

import io.pgshift.app.config.ConfigException;
import io.pgshift.app.config.MigrationConfig;
import io.pgshift.core.Lsn;
import io.pgshift.core.TableId;
import io.pgshift.core.catalog.TableInfo;
import io.pgshift.source.CaptureConfig;
import io.pgshift.source.DebeziumProperties;
import io.pgshift.source.FencePoint;
import io.pgshift.source.SourceSetup;

/**
 * Streaming through a Kafka Connect cluster: per source database a Debezium PostgreSQL source connector on the slot the bulk load left
 * at its consistent point, and a pgshift sink connector applying the table topics to the target database. The coordinator creates them
 * through the REST API once the database's load is applied, watches their state and tasks, reads the sink's progress from its
 * watermarks in the target ({@code pgshift.apply_progress}) and its consumer group's lag, proves the catch-up with a fence row that
 * travels through the Debezium connector, and stops or deletes them when a cutover completes.
 * <p>
 * Thread-safe: the status thread {@link #poll polls}, the cutover waits and stops.
 */
public final class ConnectStreaming {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectStreaming.class);
    private static final String FROM_SOURCE_CONVERTER = "io.pgshift.source.FromSourceConverter";
    /** Debezium's default heartbeat topic prefix ({@code topic.heartbeat.prefix}). */
    private static final String HEARTBEAT_PREFIX = "__debezium-heartbeat.";

    /**
     * One database's connectors.
     *
     * @param tableTopics the topics the sink applies (pgshift created them for the load; Debezium's default names match)
     */
    public record Lane(MigrationConfig.DatabaseMapping db, String sourceName, Map<String, String> sourceConfig, String sinkName,
                       Map<String, String> sinkConfig, List<String> tableTopics, String fenceTopic, String heartbeatTopic) {

        /** The sink's consumer group: Connect names it {@code connect-<connector>}. */
        public String sinkGroup() {
            return "connect-" + sinkName;
        }
    }

    /** What the status shows of one database's connectors. */
    public record View(String sourceConnector, String sourceState, String sinkConnector, String sinkState, String consumerGroup,
                       List<String> tasks, List<PartitionLag> partitions, String failure) {
    }

    /**
     * One partition of a table topic as Kafka tools show the sink's group, and what the target holds.
     *
     * @param committed the sink group's committed offset (−1 before its first commit)
     * @param lag       end − committed (records)
     * @param applied   the next offset the target's watermark names: what is applied, whatever Connect committed yet
     */
    public record PartitionLag(String topic, int partition, long end, long committed, long lag, long applied) {
    }

    private final MigrationConfig config;
    private final ConnectClient client;
    private final Admin admin;
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
    private final Map<String, ConnectClient.ConnectorState> states = new ConcurrentHashMap<>();
    private final Map<String, Map<TopicPartition, Long>> applied = new ConcurrentHashMap<>();
    private final Map<String, Map<TopicPartition, Long>> committed = new ConcurrentHashMap<>();
    private final Map<String, String> pollErrors = new ConcurrentHashMap<>();
    private final Map<String, AppliedChangeTracker> trackers = new ConcurrentHashMap<>();
    private final Set<String> untracked = ConcurrentHashMap.newKeySet();
    private final Map<String, String> startFailures = new ConcurrentHashMap<>();
    private final Map<String, Connection> progressConnections = new java.util.HashMap<>();
    private final Map<String, Object> consumerProps;

    /** @param consumerProps the Kafka client settings of this process (bootstrap servers, security), for reading the table topics */
    public ConnectStreaming(MigrationConfig config, Admin admin, Map<String, Object> consumerProps) {
        this.config = config;
        this.consumerProps = Map.copyOf(consumerProps);
        this.client = new ConnectClient(config.connect());
        this.admin = admin;
    }

    public ConnectClient client() {
        return client;
    }

    // -------------------------------------------------------------------------------------------------------------- plan & check

    /**
     * The connectors of one database, from migration.yaml and the selected tables.
     *
     * @param sourceConnection a connection to the source database, to read the selected tables' column names and types
     */
    public Lane plan(MigrationConfig.DatabaseMapping db, CaptureConfig capture, List<TableInfo> tables, Connection sourceConnection) throws SQLException {
        boolean avroFieldNames = avroFieldNames(sourceConnection, tables);
        String sourceName = config.names().connectorName(db.source());
        String sinkName = sourceName + ".sink";
        Map<String, String> source = new LinkedHashMap<>(DebeziumProperties.forConnect(capture, tables,
                io.pgshift.core.catalog.Catalog.inexactNativeTypes(sourceConnection, tables)));
        source.put("name", sourceName);
        source.put("tasks.max", "1");
        // Every record fits: pgshift created the table topics with max.message.bytes of 64 MB.
        source.put("producer.override.max.request.size", Integer.toString(64 << 20));
        if (config.kafka().avro()) {
            // Record names derive from the topic: made valid Avro names (nothing reads them back).
            source.put("schema.name.adjustment.mode", "avro");
            if (!avroFieldNames) {
                // Avro field names allow [A-Za-z_][A-Za-z0-9_]* only. A column named otherwise is written with every character outside
                // [A-Za-z0-9] (the underscore included) as _uXXXX, which the sink maps back by the target's column names; converters
                // would otherwise write '_' for it, or refuse it. Connector-wide, so only when some column needs it.
                source.put("field.name.adjustment.mode", "avro_unicode");
            }
        }
        source.putAll(converters());
        config.debezium().forEach(source::put);

        List<String> topics = tables.stream().map(t -> capture.tableTopic(t.id())).toList();
        Map<String, String> sink = new LinkedHashMap<>();
        sink.put("name", sinkName);
        sink.put("connector.class", "io.pgshift.sink.connect.PgApplierSinkConnector");
        sink.put("tasks.max", Integer.toString(config.connect().sinkTasks()));
        sink.put("topics", String.join(",", topics));
        endpoint(sink, "target", config.target(), db.target());
        endpoint(sink, "source", config.source(), db.source());
        sink.put("consumer.override.max.poll.records", Integer.toString(config.maxBatchRecords()));
        // Their old row images hold every column (as CaptureEngine's publisher marks them in pgshift's own records).
        sink.put("complete.old.row.topics", tables.stream().filter(t -> t.replicaIdentity() == 'f' || t.partitioned() && t.keyColumns().isEmpty())
                .map(t -> capture.tableTopic(t.id())).collect(java.util.stream.Collectors.joining(",")));
        sink.put("errors.tolerance", "none");
        sink.putAll(converters());
        return new Lane(db, sourceName, source, sinkName, sink, topics, sourceName + ".pgshift.fence", HEARTBEAT_PREFIX + sourceName);
    }

    private static void endpoint(Map<String, String> sink, String role, io.pgshift.core.PgEndpoint e, String database) {
        sink.put(role + ".hostname", e.host());
        sink.put(role + ".port", Integer.toString(e.port()));
        sink.put(role + ".user", e.user());
        if (e.password().isPresent()) {
            sink.put(role + ".password", e.password().reveal());
        }
        sink.put(role + ".database", database);
        sink.put(role + ".sslmode", e.sslMode());
    }

    /** The key and value converters of kafka.format, for both connectors. */
    Map<String, String> converters() {
        Map<String, String> c = new LinkedHashMap<>();
        for (String side : List.of("key", "value")) {
            String p = side + ".converter";
            if (!config.kafka().avro()) {
                c.put(p, "org.apache.kafka.connect.json.JsonConverter");
                c.put(p + ".schemas.enable", "true");
                // A NULL in a column with a default stays NULL.
                c.put(p + ".replace.null.with.default", "false");
                continue;
            }
            MigrationConfig.SchemaRegistry r = config.kafka().schemaRegistry();
            if ("apicurio".equals(r.converter())) {
                c.put(p, "io.apicurio.registry.utils.converter.AvroConverter");
                c.put(p + ".apicurio.registry.url", r.url());
                c.put(p + ".apicurio.registry.auto-register", "true");
                c.put(p + ".apicurio.registry.find-latest", "true");
                // The Confluent wire format: magic byte and a 4-byte schema id, no headers.
                c.put(p + ".apicurio.registry.as-confluent", "true");
                c.put(p + ".apicurio.registry.use-id", "contentId");
                c.put(p + ".apicurio.registry.headers.enabled", "false");
                if (r.user() != null) {
                    c.put(p + ".apicurio.auth.username", r.user());
                    c.put(p + ".apicurio.auth.password", r.password().reveal());
                }
            }
            else {
                c.put(p, "io.confluent.connect.avro.AvroConverter");
                c.put(p + ".schema.registry.url", r.url());
                // A NULL in a nullable column with a default stays NULL.
                c.put(p + ".ignore.default.for.nullables", "true");
                if (r.user() != null) {
                    c.put(p + ".basic.auth.credentials.source", "USER_INFO");
                    c.put(p + ".basic.auth.user.info", r.user() + ":" + r.password().reveal());
                }
            }
        }
        return c;
    }

    /** Whether every column of these tables is a valid Avro field name, {@code [A-Za-z_][A-Za-z0-9_]*} (Avro specification, "Names"). */
    public static boolean avroFieldNames(Connection source, List<TableInfo> tables) throws SQLException {
        try (PreparedStatement ps = source.prepareStatement("SELECT count(*) FROM pg_attribute WHERE attrelid = ANY (?::regclass[]) AND attnum > 0"
                + " AND NOT attisdropped AND attname !~ '^[A-Za-z_][A-Za-z0-9_]*$'")) {
            ps.setArray(1, source.createArrayOf("text", tables.stream().map(t -> t.id().quoted()).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) == 0;
            }
        }
    }

    /**
     * Refuses, before anything moves, the tables the connectors cannot carry exactly: a table with a name outside ASCII (Debezium's
     * pgoutput decoder reads a relation's name byte by byte, so it would write the changes to a topic the sink does not read), tables
     * whose topics Debezium's default names make one, and with Avro a table with two columns whose names Debezium's avro_unicode
     * adjustment writes alike.
     *
     * @throws ConfigException at tables.exclude, naming every such table
     */
    public void checkNames(Connection source, MigrationConfig.DatabaseMapping db, List<TableInfo> tables) throws SQLException {
        List<String> refused = new ArrayList<>();
        Map<TableId, String> topics = new LinkedHashMap<>();
        for (TableInfo t : tables) {
            topics.put(t.id(), config.names().debeziumTopic(db.source(), t.id()));
        }
        io.pgshift.core.MigrationNames.topicCollisions(topics).forEach((form, same) -> refused.add(same + " (Debezium's connector writes them"
                + " all to one topic, " + topics.get(same.get(0)) + ")"));
        for (TableInfo t : tables) {
            if (!(t.id().schema() + t.id().table()).chars().allMatch(ch -> ch < 0x80)) {
                refused.add(t.id() + " (a name outside ASCII: Debezium's pgoutput decoder reads it byte by byte, so its changes would go to"
                        + " another topic than " + topics.get(t.id()) + ")");
                continue;
            }
            if (config.kafka().avro()) {
                try (PreparedStatement ps = source.prepareStatement("SELECT attname FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0"
                        + " AND NOT attisdropped ORDER BY attnum")) {
                    ps.setString(1, t.id().quoted());
                    List<String> columns = new ArrayList<>();
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            columns.add(rs.getString(1));
                        }
                    }
                    Map<String, List<String>> same = io.pgshift.sink.AvroFieldNames.collisions(columns);
                    if (!same.isEmpty()) {
                        refused.add(t.id() + " (columns " + same.values() + " have one Avro field name each group: " + same.keySet() + ")");
                    }
                }
            }
        }
        if (!refused.isEmpty()) {
            throw new ConfigException("tables.exclude", "on Kafka Connect these tables of database '" + db.source() + "' cannot be streamed exactly: "
                    + String.join("; ", refused) + ". Leave them out with tables.exclude and copy them separately, rename them, or migrate"
                    + " without connect.url (pgshift's own capture names its topics itself)" + (config.kafka().avro() ? ", or with kafka.format json" : ""));
        }
    }

    /**
     * Validates both connectors' configurations on the Connect cluster (each plugin checks its keys, and Debezium and the pgshift sink
     * try their connections from a worker): before anything is loaded, a refusal names the migration.yaml key behind the connector key.
     *
     * @throws ConfigException at the first refused key
     */
    public void validate(Lane lane) {
        for (Map<String, String> c : List.of(lane.sourceConfig(), lane.sinkConfig())) {
            List<ConnectClient.ConfigError> errors = client.validate(c);
            if (!errors.isEmpty()) {
                ConnectClient.ConfigError first = errors.get(0);
                String message = String.join("; ", first.errors());
                String key = yamlKey(lane, c == lane.sourceConfig(), first.key(), message);
                throw new ConfigException(key, "Kafka Connect at " + client.url() + " refuses connector " + c.get("name") + ": its key "
                        + first.key() + " (from " + key + "): " + message + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more keys: "
                        + errors.stream().skip(1).map(ConnectClient.ConfigError::key).toList() + ")" : ""));
            }
        }
    }

    /** The migration.yaml key a connector key comes from; Debezium reports its connection failures at database.hostname. */
    String yamlKey(Lane lane, boolean source, String key, String message) {
        int index = config.databases().indexOf(lane.db());
        String m = message.toLowerCase(java.util.Locale.ROOT);
        Function<String, String> endpoint = role -> m.contains("password authentication failed") || m.contains("no password") ? role + ".password"
                : m.contains("role") && m.contains("does not exist") ? role + ".user"
                : m.contains("database") && m.contains("does not exist") ? "databases[" + index + "]." + role : null;
        if (source) {
            if (key.startsWith("database.")) {
                String byMessage = endpoint.apply("source");
                if (byMessage != null) {
                    return byMessage;
                }
            }
            String sub = key.startsWith("database.") ? key.substring("database.".length()) : "";
            switch (sub) {
                case "hostname": return "source.host";
                case "port": return "source.port";
                case "user": return "source.user";
                case "password": return "source.password";
                case "dbname": return "databases[" + index + "].source";
                case "sslmode": return "source.sslmode";
                default: break;
            }
            if (config.debezium().containsKey(key)) {
                return "debezium." + key;
            }
            if (key.equals("table.include.list") || key.equals("message.key.columns")) {
                return "tables.include";
            }
        }
        else {
            for (String role : List.of("target", "source")) {
                if (key.startsWith(role + ".")) {
                    String byMessage = endpoint.apply(role);
                    if (byMessage != null && (key.endsWith("hostname") || key.endsWith("password") || key.endsWith("database"))) {
                        return byMessage;
                    }
                    String sub = key.substring(role.length() + 1);
                    return switch (sub) {
                        case "hostname" -> role + ".host";
                        case "database" -> "databases[" + index + "]." + role;
                        default -> role + "." + sub;
                    };
                }
            }
            if (key.equals("tasks.max")) {
                return "connect.sinkTasks";
            }
        }
        if (key.contains("converter")) {
            return config.kafka().avro() ? "kafka.schemaRegistry" : "kafka.format";
        }
        return "connect.url";
    }

    // ------------------------------------------------------------------------------------------------------------ lifecycle

    /**
     * Before a new load: connectors of an earlier attempt are deleted with their committed source offsets (a new connector of the same
     * name would otherwise start from the old attempt's position), and their tasks let go of the slot, which the new load drops.
     */
    public void reset(MigrationConfig.DatabaseMapping db) throws InterruptedException, SQLException {
        String sourceName = config.names().connectorName(db.source());
        boolean any = false;
        for (String name : List.of(sourceName + ".sink", sourceName)) {
            if (client.status(name).isEmpty()) {
                continue;
            }
            any = true;
            LOG.warn("A new load of '{}': deleting connector {} of an earlier attempt, and its offsets", db.source(), name);
            client.stop(name);
            awaitState(name, "STOPPED", Duration.ofSeconds(60));
            try {
                client.resetOffsets(name);
            }
            catch (ConnectClient.ConnectException e) {
                LOG.warn("Could not reset the offsets of connector {}: {}", name, e.getMessage());
            }
            client.delete(name);
        }
        if (any) {
            awaitSlotReleased(config, db, Duration.ofSeconds(60));
        }
    }

    /** Waits until no session uses the database's replication slot (a stopped connector's task has let go of it), at most {@code timeout}. */
    public static void awaitSlotReleased(MigrationConfig config, MigrationConfig.DatabaseMapping db, Duration timeout) throws SQLException,
            InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Connection c = config.source().connect(db.source(), "pgshift-slot-release");
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_replication_slots WHERE slot_name = ? AND active")) {
            ps.setString(1, config.names().slotName(db.source()));
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) == 0) {
                        return;
                    }
                }
                Thread.sleep(200);
            }
        }
    }

    /**
     * Creates (or brings up to date) the database's Debezium source connector as soon as the slot may be streamed from, while the load
     * still runs: it streams from the load's consistent point ({@code snapshot.mode no_data}) into the table topics, where the changes
     * wait until the sink applies them after the load; the slot moves on meanwhile, and a worker that cannot run it says so at once.
     */
    public void startSource(Lane lane) throws InterruptedException {
        lanes.put(lane.db().source(), lane);
        createTopics(List.of(lane.fenceTopic(), lane.heartbeatTopic()));
        put(lane.sourceName(), lane.sourceConfig());
    }

    /**
     * Creates (or brings up to date) the database's sink connector once its load is applied and post-data is in: its tasks start at the
     * target's watermarks. Reading the applied changes for the validation starts with it.
     */
    public void startSink(Lane lane, List<TableInfo> tables, io.pgshift.sink.ApplierStats stats) {
        lanes.put(lane.db().source(), lane);
        track(lane, tables, stats);
        put(lane.sinkName(), lane.sinkConfig());
        poll();
    }

    private void put(String name, Map<String, String> wanted) {
        Optional<Map<String, String>> existing = client.config(name);
        if (existing.isPresent() && existing.get().equals(wanted)) {
            Optional<ConnectClient.ConnectorState> state = client.status(name);
            if (state.isPresent() && "STOPPED".equals(state.get().state())) {
                client.resume(name);
            }
            LOG.info("Connector {} on Kafka Connect at {} already has its configuration", name, client.url());
            return;
        }
        client.putConfig(name, wanted);
        LOG.info("Connector {} {} on Kafka Connect at {}", name, existing.isPresent() ? "updated" : "created", client.url());
    }

    /** Records why the connectors of a database could not be created; {@link #failure} reports it. */
    public void failed(String sourceDatabase, String why) {
        startFailures.put(sourceDatabase, why);
    }

    /**
     * Records the sink's applied changes for the validation ({@link AppliedChangeTracker}), when this process can read the topics with
     * the connectors' converters; otherwise the cutover compares every chunk, and says why.
     */
    private void track(Lane lane, List<TableInfo> tables, io.pgshift.sink.ApplierStats stats) {
        if (trackers.containsKey(lane.db().source())) {
            return;
        }
        java.sql.Connection[] target = {null};
        java.util.concurrent.Callable<Map<TopicPartition, Long>> wm = () -> {
            try {
                if (target[0] == null || target[0].isClosed()) {
                    target[0] = config.target().connect(lane.db().target(), "pgshift-connect-applied");
                }
                return watermarks(target[0], lane);
            }
            catch (SQLException e) {
                if (target[0] != null) {
                    target[0].close();
                    target[0] = null;
                }
                throw e;
            }
        };
        Map<String, Object> props = new java.util.HashMap<>(consumerProps);
        props.put(org.apache.kafka.clients.consumer.ConsumerConfig.CLIENT_ID_CONFIG, "pgshift." + config.name() + "." + lane.db().source() + ".applied");
        try {
            AppliedChangeTracker t = new AppliedChangeTracker(lane, converters(), props, tables, stats, wm);
            trackers.put(lane.db().source(), t);
            t.start();
        }
        catch (ReflectiveOperationException | LinkageError e) {
            untracked.add(lane.db().source());
            LOG.warn("The cutover of '{}' will compare every chunk of every table: this process cannot read the table topics, as converter {} is"
                    + " not on its class path ({}). Put the converter's jars in pgshift's lib/ directory to compare only the rows changed since"
                    + " each table's online pass.", lane.db().source(), converters().get("value.converter"), e.toString());
        }
    }

    /** Whether the applied changes of every database are recorded for the validation. */
    public boolean tracksAppliedChanges() {
        return untracked.isEmpty();
    }

    /** Stops reading the applied changes (this process stops; the connectors go on). */
    public void close() {
        trackers.values().forEach(AppliedChangeTracker::close);
        trackers.clear();
        synchronized (progressConnections) {
            progressConnections.values().forEach(ConnectStreaming::closeQuietly);
            progressConnections.clear();
        }
    }

    private void createTopics(List<String> topics) throws InterruptedException {
        short rf = config.kafka().replicationFactor();
        for (String t : topics) {
            try {
                admin.createTopics(List.of(new NewTopic(t, 1, rf))).all().get(30, TimeUnit.SECONDS);
            }
            catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("Cannot create topic " + t + " on Kafka: " + e.getCause().getMessage(), e.getCause());
                }
            }
            catch (TimeoutException e) {
                throw new IllegalStateException("Cannot create topic " + t + " on Kafka: no answer in 30 s", e);
            }
        }
    }

    /** Reads every connector's state, the sink's watermarks in the target and its group's committed offsets. Called every few seconds. */
    public void poll() {
        for (Lane lane : lanes.values()) {
            String db = lane.db().source();
            try {
                for (String name : List.of(lane.sourceName(), lane.sinkName())) {
                    client.status(name).ifPresentOrElse(s -> states.put(name, s), () -> states.remove(name));
                }
                applied.put(db, watermarks(lane));
                Map<TopicPartition, Long> group = new java.util.HashMap<>();
                Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(lane.sinkGroup()).partitionsToOffsetAndMetadata()
                        .get(30, TimeUnit.SECONDS);
                offsets.forEach((tp, o) -> {
                    if (o != null) {
                        group.put(tp, o.offset());
                    }
                });
                committed.put(db, group);
                pollErrors.remove(db);
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            catch (SQLException | ExecutionException | TimeoutException | RuntimeException e) {
                pollErrors.put(db, e.getMessage());
                LOG.debug("Reading the connectors of '{}': {}", db, e.toString());
            }
        }
    }

    /**
     * The sink's watermarks of the lane, on a target connection kept per database (the status reads them every second, a cutover's
     * catch-up every 20 ms); a failed connection is opened again on the next read.
     */
    private Map<TopicPartition, Long> watermarks(Lane lane) throws SQLException {
        String db = lane.db().source();
        synchronized (progressConnections) {
            Connection t = progressConnections.get(db);
            try {
                if (t == null || t.isClosed()) {
                    t = config.target().connect(lane.db().target(), "pgshift-connect-progress");
                    progressConnections.put(db, t);
                }
                return watermarks(t, lane);
            }
            catch (SQLException e) {
                progressConnections.remove(db);
                closeQuietly(t);
                throw e;
            }
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            }
            catch (SQLException e) {
                LOG.trace("close", e);
            }
        }
    }

    private static Map<TopicPartition, Long> watermarks(Connection t, Lane lane) throws SQLException {
        Map<TopicPartition, Long> out = new java.util.HashMap<>();
        try (PreparedStatement ps = t.prepareStatement("SELECT topic, kafka_partition, next_offset FROM pgshift.apply_progress WHERE topic = ANY (?)")) {
            ps.setArray(1, t.createArrayOf("text", lane.tableTopics().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(new TopicPartition(rs.getString(1), rs.getInt(2)), rs.getLong(3));
                }
            }
        }
        return out;
    }

    /** The next offset the target holds for each table-topic partition of a database (its sink's watermarks), as last polled. */
    public Map<TopicPartition, Long> applied(String sourceDatabase) {
        return applied.getOrDefault(sourceDatabase, Map.of());
    }

    /** The first connector or task that FAILED, named with its worker and trace, and the way out. */
    public Optional<String> failure() {
        if (!startFailures.isEmpty()) {
            return Optional.of(startFailures.values().iterator().next());
        }
        for (Lane lane : lanes.values()) {
            for (String name : List.of(lane.sourceName(), lane.sinkName())) {
                ConnectClient.ConnectorState s = states.get(name);
                if (s != null && s.failure().isPresent()) {
                    String failure = s.failure().get();
                    String fix = failure.contains(FROM_SOURCE_CONVERTER) && (failure.contains("ClassNotFound") || failure.contains("NoClassDefFound"))
                            ? ". The worker lacks pgshift's Debezium add-on: unpack pgshift-source-<version>-debezium-addon.zip into the Debezium"
                            + " PostgreSQL connector's plugin directory on every worker, restart the workers, then restart it"
                            : ". Fix the cause, then restart it";
                    return Optional.of(failure + fix + " on Kafka Connect (POST /connectors/" + name
                            + "/restart?includeTasks=true&onlyFailed=true); the sink resumes from the target's watermark, the source from its"
                            + " committed offset");
                }
            }
        }
        return Optional.empty();
    }

    /** What the status shows of a database's connectors; null before they are created. */
    public View view(String sourceDatabase, Map<TopicPartition, Long> ends) {
        Lane lane = lanes.get(sourceDatabase);
        if (lane == null) {
            return null;
        }
        ConnectClient.ConnectorState src = states.get(lane.sourceName());
        ConnectClient.ConnectorState sink = states.get(lane.sinkName());
        List<String> tasks = new ArrayList<>();
        for (ConnectClient.ConnectorState s : java.util.stream.Stream.of(src, sink).filter(java.util.Objects::nonNull).toList()) {
            s.tasks().forEach(t -> tasks.add(s.name() + "-" + t.id() + " " + t.state() + " on " + t.workerId()));
        }
        Map<TopicPartition, Long> group = committed.getOrDefault(sourceDatabase, Map.of());
        Map<TopicPartition, Long> target = applied(sourceDatabase);
        List<PartitionLag> partitions = new ArrayList<>();
        ends.entrySet().stream().filter(e -> lane.tableTopics().contains(e.getKey().topic()))
                .sorted(Map.Entry.comparingByKey(java.util.Comparator.comparing(TopicPartition::topic).thenComparing(TopicPartition::partition)))
                .forEach(e -> {
                    long c = group.getOrDefault(e.getKey(), -1L);
                    partitions.add(new PartitionLag(e.getKey().topic(), e.getKey().partition(), e.getValue(), c, e.getValue() - Math.max(0, c),
                            target.getOrDefault(e.getKey(), 0L)));
                });
        String failure = src != null && src.failure().isPresent() ? src.failure().get() : sink != null ? sink.failure().orElse(null) : null;
        return new View(lane.sourceName(), src == null ? "MISSING" : src.state(), lane.sinkName(), sink == null ? "MISSING" : sink.state(),
                lane.sinkGroup(), tasks, partitions, failure != null ? failure : pollErrors.get(sourceDatabase));
    }

    // -------------------------------------------------------------------------------------------------------------- catch-up

    /**
     * Proves everything the source database committed before now is in the table topics: a fence row is committed on the source; then
     * the Debezium connector's committed source offset must reach past it. Connect commits a source offset only once Kafka acknowledged
     * the record it belongs to and every record before it (so every change before the fence is in Kafka), and Debezium's
     * {@code lsn_commit} is the end LSN of the last transaction whose commit it processed: at or past {@code pg_current_wal_lsn()} read
     * after the fence committed, it covers the fence's transaction and every one before. Heartbeat rows follow the fence so that a
     * record carrying that position is written even on an idle database. How fast the offset is committed is the workers'
     * {@code offset.flush.interval.ms}.
     *
     * @param ends called once the fence is covered: reads the end offsets of the table topics, which then hold every change before it
     */
    public FencePoint awaitFence(Lane lane, long deadlineNanos) throws SQLException, InterruptedException, TimeoutException {
        long fenceId;
        Lsn after;
        try (Connection c = config.source().connect(lane.db().source(), "pgshift-fence")) {
            c.setAutoCommit(false);
            fenceId = SourceSetup.insertFence(c, "fence");
            c.commit();
            c.setAutoCommit(true);
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
                rs.next();
                after = Lsn.parse(rs.getString(1));
            }
            long nextHeartbeat = 0;
            while (true) {
                Optional<String> failed = failure();
                if (failed.isPresent()) {
                    throw new IllegalStateException(failed.get());
                }
                long covered = committedCommitLsn(lane);
                if (covered >= after.asLong()) {
                    return new FencePoint(lane.db().source(), fenceId, after);
                }
                if (System.nanoTime() > deadlineNanos) {
                    throw new TimeoutException("The Debezium connector " + lane.sourceName() + " did not commit a source offset past fence " + fenceId
                            + " (" + after + ") in time: it is at " + Lsn.valueOf(covered) + ". Check its tasks, and the workers' offset.flush.interval.ms");
                }
                if (System.nanoTime() >= nextHeartbeat) {
                    c.setAutoCommit(false);
                    SourceSetup.insertFence(c, "heartbeat");
                    c.commit();
                    c.setAutoCommit(true);
                    nextHeartbeat = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
                }
                Thread.sleep(100);
            }
        }
    }

    /** The highest {@code lsn_commit} among the connector's committed source offsets; 0 when none. */
    private long committedCommitLsn(Lane lane) {
        long max = 0;
        for (JsonNode offset : client.sourceOffsets(lane.sourceName())) {
            JsonNode n = offset.path("lsn_commit");
            if (n.canConvertToLong()) {
                max = Math.max(max, n.asLong());
            }
        }
        return max;
    }

    /** Reads the sink's watermarks in the target now. */
    public Map<TopicPartition, Long> appliedNow(Lane lane) throws SQLException {
        Map<TopicPartition, Long> w = watermarks(lane);
        applied.put(lane.db().source(), w);
        return w;
    }

    public Optional<Lane> lane(String sourceDatabase) {
        return Optional.ofNullable(lanes.get(sourceDatabase));
    }

    // ------------------------------------------------------------------------------------------------------------------ stop

    /** Stops every sink connector and waits until its tasks are gone: nothing more is written to the target. */
    public void stopSinks() throws InterruptedException {
        for (Lane lane : lanes.values()) {
            client.stop(lane.sinkName());
        }
        for (Lane lane : lanes.values()) {
            awaitState(lane.sinkName(), "STOPPED", Duration.ofSeconds(120));
        }
    }

    /** At COMPLETED: stops the source connectors (their slots are let go), then deletes every connector when connect.atCompletion is delete. */
    public void finish() throws InterruptedException {
        for (Lane lane : lanes.values()) {
            client.stop(lane.sourceName());
        }
        for (Lane lane : lanes.values()) {
            awaitState(lane.sourceName(), "STOPPED", Duration.ofSeconds(120));
            try {
                awaitSlotReleased(config, lane.db(), Duration.ofSeconds(60));
            }
            catch (SQLException e) {
                LOG.debug("Checking that slot of '{}' is let go: {}", lane.db().source(), e.getMessage());
            }
        }
        if (config.connect().deleteAtCompletion()) {
            for (Lane lane : lanes.values()) {
                client.delete(lane.sinkName());
                client.delete(lane.sourceName());
                LOG.info("Connectors {} and {} deleted from Kafka Connect", lane.sourceName(), lane.sinkName());
            }
        }
    }

    private void awaitState(String name, String state, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<ConnectClient.ConnectorState> s = client.status(name);
            if (s.isEmpty() || state.equals(s.get().state()) && s.get().tasks().isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Connector " + name + " did not reach " + state + " within " + timeout.toSeconds() + " s: it is "
                        + s.get().state() + " with tasks " + s.get().tasks());
            }
            Thread.sleep(200);
        }
    }
}
