package io.pgshift.sink;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.core.Lsn;
import io.pgshift.core.PgEndpoint;
import io.pgshift.core.SqlResource;
import io.pgshift.core.TableId;
import io.pgshift.core.change.ChangeEvent;
import io.pgshift.core.change.ChangeOp;
import io.pgshift.core.change.SourcePosition;

/**
 * The framework-free core of the applier: applies change records to one target database, in order per
 * partition, and writes each partition's watermark (next Kafka offset, last source position) in the
 * same transaction as the data. Drivers (a Kafka consumer loop, a Kafka Connect task) feed it records
 * and resume from {@link #nextOffsets}. Connections use {@code session_replication_role = replica}, so
 * target triggers and foreign keys do not fire.
 *
 * <p>Exactly once in effect: a record at an offset below the watermark is never fed again; a change that
 * a capture restart wrote to Kafka twice carries a source position at or below the partition's last
 * applied one and is skipped.
 */
public final class ChangeApplier implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeApplier.class);
    /** Retries of a transient failure: with the backoff below, about four minutes, long enough for a target restart or failover. */
    private static final int MAX_ATTEMPTS = 20;
    private static final long MAX_BACKOFF_MS = 15_000L;

    private final PgEndpoint target;
    private final String database;
    private final String applicationName;
    private final ApplierStats stats;
    private final Clock clock;
    private final TargetCatalog catalog;
    private final SourceRowReader sourceReader;
    private final ExactValueResolver resolver;
    private final Map<PartitionRef, SourcePosition> lastPositions = new HashMap<>();
    private Connection connection;

    public ChangeApplier(PgEndpoint target, String database, String applicationName, ApplierStats stats, Clock clock) {
        this(target, database, null, null, applicationName, stats, clock);
    }

    /**
     * @param source         the source server, to read values the change stream does not carry exactly; may be
     *                       {@code null}, and then such values stop the applier with an error that says so
     * @param sourceDatabase the source database
     */
    public ChangeApplier(PgEndpoint target, String database, PgEndpoint source, String sourceDatabase, String applicationName,
                         ApplierStats stats, Clock clock) {
        this.target = Objects.requireNonNull(target);
        this.database = Objects.requireNonNull(database);
        this.applicationName = applicationName;
        this.stats = stats;
        this.clock = clock;
        this.catalog = new TargetCatalog(database);
        this.sourceReader = source == null ? null : new SourceRowReader(source, Objects.requireNonNull(sourceDatabase, "sourceDatabase"));
        this.resolver = new ExactValueResolver(catalog, sourceReader);
    }

    /**
     * Reads the watermarks of these partitions: the next offset to apply for each partition the target
     * has seen (absent ones start from the beginning).
     */
    public synchronized Map<PartitionRef, Long> nextOffsets(Collection<PartitionRef> partitions) throws SQLException {
        Connection c = connection();
        Map<PartitionRef, Long> next = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(SqlStatements.READ_WATERMARKS)) {
            ps.setArray(1, c.createArrayOf("text", partitions.stream().map(PartitionRef::topic).distinct().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    PartitionRef p = new PartitionRef(rs.getString(1), rs.getInt(2));
                    if (!partitions.contains(p)) {
                        continue;
                    }
                    next.put(p, rs.getLong(3));
                    String commit = rs.getString(4);
                    String lsn = rs.getString(5);
                    if (lsn != null) {
                        lastPositions.put(p, new SourcePosition(commit == null ? Lsn.INVALID : Lsn.parse(commit), Lsn.parse(lsn), rs.getInt(6)));
                    }
                }
            }
        }
        c.commit();
        return next;
    }

    /**
     * Before a new initial load: discards what an earlier, unfinished load wrote. In one transaction the
     * target tables that this applier has written to are emptied, and every partition's watermark moves
     * to the given offsets (the topics' current ends), so no record of the earlier attempt is applied.
     * Returns the tables emptied.
     */
    public synchronized List<io.pgshift.core.TableId> discardPreviousLoad(Collection<io.pgshift.core.TableId> tables, Map<PartitionRef, Long> floors)
            throws SQLException {
        Connection c = connection();
        List<io.pgshift.core.TableId> emptied = new ArrayList<>();
        try {
            boolean written;
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pgshift.apply_progress WHERE topic = ANY (?) AND records_applied > 0")) {
                ps.setArray(1, c.createArrayOf("text", floors.keySet().stream().map(PartitionRef::topic).distinct().toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    written = rs.getLong(1) > 0;
                }
            }
            if (written) {
                List<String> names = new ArrayList<>();
                for (io.pgshift.core.TableId t : tables) {
                    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
                        ps.setString(1, t.quoted());
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            if (rs.getBoolean(1)) {
                                names.add(t.quoted());
                                emptied.add(t);
                            }
                        }
                    }
                }
                if (!names.isEmpty()) {
                    try (Statement st = c.createStatement()) {
                        st.execute("TRUNCATE TABLE " + String.join(", ", names));
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO pgshift.apply_progress AS p (topic, kafka_partition, next_offset, records_applied)"
                    + " VALUES (?, ?, ?, 0) ON CONFLICT (topic, kafka_partition) DO UPDATE SET next_offset = EXCLUDED.next_offset,"
                    + " source_commit_lsn = NULL, source_lsn = NULL, records_applied = 0, updated_at = clock_timestamp()")) {
                for (Map.Entry<PartitionRef, Long> e : floors.entrySet()) {
                    ps.setString(1, e.getKey().topic());
                    ps.setInt(2, e.getKey().partition());
                    ps.setLong(3, e.getValue());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
            floors.keySet().forEach(lastPositions::remove);
            return emptied;
        }
        catch (SQLException e) {
            rollbackQuietly();
            throw new SQLException("Cannot discard the unfinished earlier load in target database '" + database + "': " + e.getMessage(), e.getSQLState(), e);
        }
    }

    /**
     * Applies records (in Kafka order within each partition) in one target transaction with their
     * watermarks. Connection losses, serialization failures and deadlocks are retried; any other refusal
     * by the target throws an {@link ApplyException} naming the record, and nothing of the batch is kept.
     */
    /**
     * The records with each field that is not a column of its target table renamed to the column it stands for, when it is that
     * column's name as Debezium's {@code field.name.adjustment.mode=avro_unicode} writes it ({@link AvroFieldNames}); a field matching
     * no column is left as it is (and stops the apply naming it).
     */
    private List<SourceRecordRef> withColumnNames(Connection c, List<SourceRecordRef> records) throws SQLException {
        List<SourceRecordRef> out = null;
        for (int i = 0; i < records.size(); i++) {
            SourceRecordRef r = records.get(i);
            ChangeEvent e = r.event();
            if (e == null) {
                continue;
            }
            TargetTable table = null;
            for (Map<String, String> m : List.of(e.key(), e.after())) {
                for (String f : m.keySet()) {
                    if (table == null) {
                        table = catalog.table(c, e.table());
                    }
                    if (!table.hasColumn(f)) {
                        if (out == null) {
                            out = new java.util.ArrayList<>(records);
                        }
                        out.set(i, r.withEvent(renamed(e, AvroFieldNames.reverse(table.columns().keySet()))));
                        break;
                    }
                }
                if (out != null && out.get(i) != r) {
                    break;
                }
            }
        }
        return out == null ? records : out;
    }

    private static ChangeEvent renamed(ChangeEvent e, Map<String, String> columns) {
        java.util.function.Function<Map<String, String>, Map<String, String>> rename = m -> {
            Map<String, String> n = new java.util.LinkedHashMap<>();
            m.forEach((k, v) -> n.put(columns.getOrDefault(k, k), v));
            return n;
        };
        return new ChangeEvent(e.table(), e.op(), rename.apply(e.key()), rename.apply(e.after()), e.position(), e.commitTimeMs(), e.endsTableLoad(),
                e.slice());
    }

    /**
     * Where a partition waits: at the record at {@code offset} (not applied), a schema change of id {@code id} that is held, or that waits
     * for the other {@code expected - 1} partitions it was published to (a barrier), or, with a negative id, a change record whose columns
     * the target table lacks ({@link SchemaChangeHolds}). The driver rewinds the partition to {@code offset}, pauses it, and resumes it once
     * {@link #released} names the id.
     */
    public record DdlWait(PartitionRef partition, long offset, long id, int expected, boolean global) {
    }

    /**
     * The partitions that have reached schema change {@code ?} (parameter 1), and, for a change of no table (every partition is its
     * barrier, parameter 2 true), also those waiting at a held change of a table captured before it (parameter 3, its id): a change of
     * no table (a type, a domain, a dropped index) may go before a held table's older changes, which touch only that table, so a hold
     * does not stop every table.
     */
    private static final String ARRIVED = "SELECT count(*) FROM (SELECT topic, kafka_partition FROM pgshift.ddl_arrivals WHERE id = ?"
            + " UNION SELECT a.topic, a.kafka_partition FROM pgshift.ddl_arrivals a JOIN pgshift.ddl_held h ON h.id = a.id"
            + " WHERE ? AND h.resolution IS NULL AND cardinality(h.tables) > 0 AND h.id > 0 AND h.id < ?) p";

    /**
     * Applies the records in order, each partition's watermark with them. A schema change ({@link ChangeOp#DDL}) is applied in a
     * transaction of its own, after the records before it and before those after it, so that what follows sees it committed (PostgreSQL
     * lets no transaction use an enum label added in it), and only once every partition it was published to has reached it. A partition
     * that cannot go on (a schema change held or waiting for its other partitions, a change whose columns the target lacks) stops at that
     * record: nothing of it from there is applied, and it is returned; the other partitions' records are applied.
     *
     * @return the partitions that wait, by partition (empty when every record was applied)
     */
    public synchronized Map<PartitionRef, DdlWait> apply(List<SourceRecordRef> records) {
        Map<PartitionRef, DdlWait> waits = new LinkedHashMap<>();
        List<SourceRecordRef> segment = new ArrayList<>(records.size());
        for (SourceRecordRef r : records) {
            if (waits.containsKey(r.partition())) {
                continue;
            }
            ChangeEvent e = r.event();
            if (e == null || r.load() != null || r.superseded() || isReplay(r)) {
                segment.add(r);
                continue;
            }
            if (e.op() == ChangeOp.DDL) {
                applySegment(segment);
                segment = new ArrayList<>();
                DdlWait w = applyDdlRecord(r);
                if (w == null && refreshedAfter.add(Long.parseLong(e.after().get(ChangeEvent.DDL_ID)))) {
                    // The target tables' shapes may have changed, and with them the parameter types of the statements PgJDBC prepared on
                    // the server (a column widened to bigint would still take an int4 parameter): both are dropped, once per change (a
                    // change of no table reaches this applier on every table's partitions).
                    catalog.clear();
                    closeConnection();
                    if (sourceReader != null) {
                        sourceReader.forgetTypes();
                    }
                    if (refreshedAfter.size() > 10_000) {
                        refreshedAfter.remove(refreshedAfter.iterator().next());
                    }
                }
                if (w != null) {
                    waits.put(r.partition(), w);
                }
                continue;
            }
            DdlWait w = differenceHold(r);
            if (w != null) {
                waits.put(r.partition(), w);
                continue;
            }
            segment.add(r);
        }
        applySegment(segment);
        return waits;
    }

    /** The schema changes after which this applier read the target's shapes again (reconnected), oldest first. */
    private final java.util.LinkedHashSet<Long> refreshedAfter = new java.util.LinkedHashSet<>();

    private boolean isReplay(SourceRecordRef r) {
        SourcePosition previous = lastPositions.get(r.partition());
        return !r.event().position().isSnapshot() && previous != null && r.event().position().compareTo(previous) <= 0;
    }

    /**
     * Which of these waiting partitions may go on: a schema change applied (by another partition, or resolved by the operator), or no
     * longer held and reached by every partition it was published to; a schema difference no longer held. A resumed partition reads its
     * record again and is held again when nothing changed.
     */
    public synchronized java.util.Set<Long> released(Collection<DdlWait> waits) {
        java.util.Set<Long> ids = new java.util.HashSet<>();
        if (waits.isEmpty()) {
            return ids;
        }
        try {
            Connection c = connection();
            try (PreparedStatement ps = c.prepareStatement("SELECT x.id FROM unnest(?::bigint[], ?::int[], ?::boolean[]) AS x(id, expected, global)"
                    + " WHERE (x.id > 0 AND EXISTS (SELECT 1 FROM pgshift.ddl_applied a WHERE a.id = x.id))"
                    + " OR (NOT EXISTS (SELECT 1 FROM pgshift.ddl_held h WHERE h.id = x.id AND h.resolution IS NULL AND cardinality(h.tables) > 0)"
                    + " AND (x.expected <= 1 OR (SELECT count(*) FROM (SELECT topic, kafka_partition FROM pgshift.ddl_arrivals r WHERE r.id = x.id"
                    + " UNION SELECT a.topic, a.kafka_partition FROM pgshift.ddl_arrivals a JOIN pgshift.ddl_held h ON h.id = a.id"
                    + " WHERE x.global AND h.resolution IS NULL AND cardinality(h.tables) > 0 AND h.id > 0 AND h.id < x.id) p) >= x.expected))")) {
                List<DdlWait> list = List.copyOf(waits);
                ps.setArray(1, c.createArrayOf("bigint", list.stream().map(DdlWait::id).toArray()));
                ps.setArray(2, c.createArrayOf("int4", list.stream().map(DdlWait::expected).toArray()));
                ps.setArray(3, c.createArrayOf("bool", list.stream().map(DdlWait::global).toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getLong(1));
                    }
                }
            }
            c.commit();
        }
        catch (SQLException e) {
            rollbackQuietly();
            closeConnection();
            LOG.debug("Reading whether held schema changes of target database '{}' were resolved: {}", database, e.getMessage());
        }
        if (!ids.isEmpty()) {
            // A schema change was applied (here or by another applier) or the operator changed the target's tables: shapes and the
            // statements prepared on the server are read again.
            catalog.clear();
            closeConnection();
            refreshedAfter.addAll(ids);
            if (sourceReader != null) {
                sourceReader.forgetTypes();
            }
        }
        return ids;
    }

    /** A schema change that the target refused (not a transient failure): the change is held rather than the applier stopped. */
    private static final class DdlRefused extends RuntimeException {
        DdlRefused(SQLException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private enum DdlStep { PROCEED, WAIT }

    /** A schema change record: applied, passed (applied already), or the partition waits at it (returned). */
    private DdlWait applyDdlRecord(SourceRecordRef r) {
        Map<String, String> d = r.event().after();
        long id = Long.parseLong(d.get(ChangeEvent.DDL_ID));
        int expected = d.containsKey(ChangeEvent.DDL_PARTITIONS) ? Integer.parseInt(d.get(ChangeEvent.DDL_PARTITIONS)) : 1;
        DdlStep step = withRetries("reading the state of schema change " + id, () -> decideDdl(connection(), r, id, expected));
        if (step == DdlStep.WAIT) {
            return new DdlWait(r.partition(), r.offset(), id, expected, ddlTables(d).isEmpty());
        }
        try {
            if (carried(d) && CONCURRENTLY.matcher(statementOf(d).get()).find()) {
                buildConcurrently(id, d);
            }
            applySegment(List.of(r));
            builtConcurrently.remove(id);
            return null;
        }
        catch (DdlRefused refused) {
            String reason = "the target refused it: " + refused.getMessage();
            withRetries("holding schema change " + id, () -> {
                List<String> tables = ddlTables(d).isEmpty() ? List.of(r.event().table().quoted()) : ddlTables(d);
                SchemaChangeHolds.hold(connection(), id, d.get(ChangeEvent.DDL_TAG), statementOf(d).orElse(d.get(ChangeEvent.DDL_COMMAND)),
                        d.get(ChangeEvent.DDL_SEARCH_PATH), tables, reason);
                connection.commit();
                return null;
            });
            LOG.warn("Schema change {} of the source ({}) was refused by target database '{}'; {} wait at it, the others go on: {}. Run it on"
                    + " the target yourself (as it fits there), then 'pgshift ddl apply {}'; or 'pgshift ddl skip {}'; or fix the cause and"
                    + " 'pgshift ddl retry {}'.", id, d.get(ChangeEvent.DDL_TAG), database, ddlTables(d).isEmpty() ? "the tables that reach it"
                    : "the tables it touches " + ddlTables(d), refused.getMessage(), id, id, id);
            return new DdlWait(r.partition(), r.offset(), id, expected, ddlTables(d).isEmpty());
        }
    }

    /** Schema changes run CONCURRENTLY outside a transaction by {@link #buildConcurrently}: their record only marks them applied. */
    private final java.util.Set<Long> builtConcurrently = new java.util.HashSet<>();
    private static final java.util.regex.Pattern CONCURRENT_INDEX_NAME = java.util.regex.Pattern.compile(
            "^\\s*CREATE\\s+(?:UNIQUE\\s+)?INDEX\\s+CONCURRENTLY\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?((?:\"(?:[^\"]|\"\")+\"|[\\w$]+)(?:\\.(?:\"(?:[^\"]|\"\")+\"|[\\w$]+))?)\\s+ON\\b",
            java.util.regex.Pattern.CASE_INSENSITIVE);

    /**
     * A change the source ran CONCURRENTLY (CREATE or DROP INDEX, REINDEX) runs so on the target too, outside a transaction
     * (PostgreSQL refuses CONCURRENTLY in one), before its record marks it applied: the target's other readers (the online validation)
     * and writers are not blocked while a large index builds. A crash between the build and the mark runs it again: an index of that
     * name that is valid is the build done; an invalid one (a build that failed or was cut short leaves one) is dropped and built again.
     */
    private void buildConcurrently(long id, Map<String, String> d) {
        if (builtConcurrently.contains(id)) {
            return;
        }
        String sql = DROP_WITHOUT_IF_EXISTS.matcher(statementOf(d).get()).replaceFirst("$1 IF EXISTS ");
        withRetries("reading the state of schema change " + id, () -> {
            Connection c = connection();
            boolean done = exists(c, "SELECT 1 FROM pgshift.ddl_applied WHERE id = ?", id);
            c.commit();
            if (done) {
                builtConcurrently.add(id);
            }
            return null;
        });
        if (builtConcurrently.contains(id)) {
            return;
        }
        try {
            Connection c = connection();
            c.commit();
            c.setAutoCommit(true);
            try (Statement st = c.createStatement(); PreparedStatement path = c.prepareStatement("SELECT set_config('search_path', ?, false)")) {
                String before;
                try (ResultSet rs = st.executeQuery("SELECT current_setting('search_path')")) {
                    rs.next();
                    before = rs.getString(1);
                }
                path.setString(1, d.get(ChangeEvent.DDL_SEARCH_PATH));
                path.execute();
                try {
                    runConcurrently(c, st, sql);
                }
                finally {
                    path.setString(1, before);
                    path.execute();
                }
            }
            finally {
                c.setAutoCommit(false);
            }
            builtConcurrently.add(id);
            LOG.info("Applied schema change {} of the source to target database '{}' concurrently, as the source ran it: {}", id, database,
                    abbreviate(sql));
        }
        catch (SQLException e) {
            if (SqlErrors.isTransient(e)) {
                closeConnection();
                throw new ApplyException("Applying schema change " + id + " concurrently to target database '" + database + "' failed (SQLState "
                        + e.getSQLState() + ": " + e.getMessage() + "); restarting pgshift runs it again.", e);
            }
            throw new DdlRefused(new SQLException("schema change " + id + " of the source (" + abbreviate(sql) + ") failed on the target: "
                    + e.getMessage(), e.getSQLState(), e));
        }
    }

    /** Runs a CONCURRENTLY statement in autocommit; a valid index already of its name is a build done, an invalid one is built again. */
    private static void runConcurrently(Connection c, Statement st, String sql) throws SQLException {
        try {
            st.execute(sql);
        }
        catch (SQLException e) {
            java.util.regex.Matcher m = CONCURRENT_INDEX_NAME.matcher(sql);
            if (!"42P07".equals(e.getSQLState()) || !m.find()) {
                throw e;
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(?)")) {
                ps.setString(1, m.group(1));
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw e; // the name is another relation's
                    }
                    if (rs.getBoolean(1)) {
                        return; // built before a crash, not yet marked applied
                    }
                }
            }
            st.execute("DROP INDEX CONCURRENTLY IF EXISTS " + m.group(1));
            st.execute(sql);
        }
    }

    /**
     * In one transaction: whether the change is applied already (go on), this partition's arrival, whether it is held, whether every
     * partition has arrived, and whether pgshift carries it (a change it does not carry is held for the tables it touches; one of no
     * table holds only the cutover and the partition goes on).
     */
    private DdlStep decideDdl(Connection c, SourceRecordRef r, long id, int expected) throws SQLException {
        Map<String, String> d = r.event().after();
        try {
            if (exists(c, "SELECT 1 FROM pgshift.ddl_applied WHERE id = ?", id)) {
                return DdlStep.PROCEED;
            }
            arrive(c, id, r.partition()); // also where it will be held: a change of no table counts its partition as waiting
            java.util.Optional<List<String>> held = heldTables(c, id);
            if (held.isPresent() && !held.get().isEmpty()) {
                if (!held.get().contains(r.event().table().quoted())) {
                    // A change of no table that the target refused holds every table that reaches it.
                    SchemaChangeHolds.addTable(c, id, r.event().table().quoted());
                }
                return DdlStep.WAIT;
            }
            if (held.isPresent()) {
                return DdlStep.PROCEED; // a change of no table that pgshift does not carry: it holds only the cutover
            }
            if (expected > 1 && carried(d)) { // one not carried is held at once, where each partition reaches it
                try (PreparedStatement ps = c.prepareStatement(ARRIVED)) {
                    ps.setLong(1, id);
                    ps.setBoolean(2, ddlTables(d).isEmpty());
                    ps.setLong(3, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getLong(1) < expected) {
                            return DdlStep.WAIT;
                        }
                    }
                }
            }
            String tag = d.get(ChangeEvent.DDL_TAG);
            java.util.Optional<String> statement = statementOf(d);
            if (carried(d)) {
                return DdlStep.PROCEED;
            }
            List<String> tables = ddlTables(d);
            String reason = d.containsKey(ChangeEvent.DDL_NOT_CARRIED) ? d.get(ChangeEvent.DDL_NOT_CARRIED) : statement.isEmpty() ? "pgshift cannot tell which statement of its query string it is, or it ran inside a DO block or a"
                    + " function (running that again on the target could repeat its writes)" : "pgshift does not carry " + tag + " (it carries "
                    + CARRIED_DDL.stream().sorted().toList() + ")";
            SchemaChangeHolds.hold(c, id, tag, statement.orElse(d.get(ChangeEvent.DDL_COMMAND)), d.get(ChangeEvent.DDL_SEARCH_PATH), tables, reason);
            if (warnedDdl.add(id)) {
                LOG.warn("Schema change {} of the source ({}) is not carried to target database '{}': {}. {}: {}. Run it on the target yourself if"
                        + " the target needs it, then 'pgshift ddl apply {}'; or 'pgshift ddl skip {}'.", id, tag, database, reason, tables.isEmpty()
                        ? "It holds no table, only the cutover" : "The tables it touches wait at it (the others go on): " + tables,
                        abbreviate(d.get(ChangeEvent.DDL_COMMAND)), id, id);
            }
            return tables.isEmpty() ? DdlStep.PROCEED : DdlStep.WAIT;
        }
        finally {
            c.commit();
        }
    }

    /** The tables an unresolved hold of this change holds (empty for a change of no table not carried), or empty when it is not held. */
    private static java.util.Optional<List<String>> heldTables(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT tables FROM pgshift.ddl_held WHERE id = ? AND resolution IS NULL")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? java.util.Optional.of(List.of((String[]) rs.getArray(1).getArray())) : java.util.Optional.empty();
            }
        }
    }

    private static void arrive(Connection c, long id, PartitionRef partition) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO pgshift.ddl_arrivals (id, topic, kafka_partition) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setLong(1, id);
            ps.setString(2, partition.topic());
            ps.setInt(3, partition.partition());
            ps.executeUpdate();
        }
    }

    private static boolean exists(Connection c, String sql, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Whether pgshift applies this schema change: a tag it carries, a statement it can find, and nothing the capture says against it. */
    private static boolean carried(Map<String, String> d) {
        return CARRIED_DDL.contains(d.get(ChangeEvent.DDL_TAG)) && !d.containsKey(ChangeEvent.DDL_NOT_CARRIED) && statementOf(d).isPresent();
    }

    /** The selected tables a schema change record touches, as quoted names (empty for a change of no table). */
    private static List<String> ddlTables(Map<String, String> d) {
        String t = d.get(ChangeEvent.DDL_TABLES);
        return t == null || t.isEmpty() ? List.of() : List.of(t.split("\u001f"));
    }

    /** The statement of a schema change record, empty when it cannot be told or it ran inside a DO block or a function. */
    private static java.util.Optional<String> statementOf(Map<String, String> d) {
        java.util.Optional<String> statement = io.pgshift.core.change.DdlStatements.statement(d.get(ChangeEvent.DDL_COMMAND),
                Integer.parseInt(d.get(ChangeEvent.DDL_ORDINAL)));
        if (statement.isPresent() && !io.pgshift.core.change.DdlStatements.isCommand(statement.get(), d.get(ChangeEvent.DDL_TAG))) {
            // The command ran inside something else (a DO block, a function): running that again on the target could repeat its writes.
            return java.util.Optional.empty();
        }
        return statement;
    }

    private final java.util.Set<Long> warnedDifference = new java.util.HashSet<>();

    /**
     * A change record whose table the target lacks, or whose columns the target table lacks (even as Debezium's Avro names): a schema
     * change pgshift did not capture. The table's partition is held at it (the others go on) until the operator makes the target match.
     * Returns null when the target has the table and every column, or when the target cannot be read now (the apply then retries).
     */
    private DdlWait differenceHold(SourceRecordRef r) {
        ChangeEvent e = r.event();
        List<String> missing;
        TargetTable table;
        try {
            table = catalog.find(connection(), e.table());
            missing = table == null ? List.of() : missingColumns(table, e);
            if (table != null && missing.isEmpty()) {
                return null;
            }
            long id = SchemaChangeHolds.differenceId(e.table().quoted(), missing);
            String reason = table == null ? "the target database has no table " + e.table() + " (was it created or renamed on the source?)"
                    : "change records of " + e.table() + " carry column(s) " + missing + " that the target table lacks: a schema change of the"
                    + " source that pgshift did not capture (DDL capture is off, or was not installed)";
            arrive(connection, id, r.partition());
            SchemaChangeHolds.hold(connection, id, SchemaChangeHolds.SCHEMA_DIFFERENCE, table == null ? "table " + e.table() + " is not in the target"
                    : "columns " + String.join(", ", missing) + " of " + e.table() + " are not in the target", null, List.of(e.table().quoted()), reason);
            connection.commit();
            if (warnedDifference.add(id)) {
                LOG.warn("Changes of {} wait in target database '{}' (schema difference {}): {}. The other tables go on. Make the target table match"
                        + " the source, then run 'pgshift ddl apply {}'.", e.table(), database, id, reason, id);
            }
            return new DdlWait(r.partition(), r.offset(), id, 1, false);
        }
        catch (SQLException ex) {
            rollbackQuietly();
            closeConnection();
            return null;
        }
    }

    private static List<String> missingColumns(TargetTable table, ChangeEvent e) {
        List<String> missing = null;
        Map<String, String> avro = null;
        for (Map<String, String> m : List.of(e.key(), e.after())) {
            for (String f : m.keySet()) {
                if (table.hasColumn(f)) {
                    continue;
                }
                if (avro == null) {
                    avro = AvroFieldNames.reverse(table.columns().keySet());
                }
                if (!avro.containsKey(f)) {
                    if (missing == null) {
                        missing = new ArrayList<>();
                    }
                    if (!missing.contains(f)) {
                        missing.add(f);
                    }
                }
            }
        }
        return missing == null ? List.of() : missing;
    }

    @FunctionalInterface
    private interface SqlWork<T> {
        T run() throws SQLException;
    }

    /** Runs a short piece of bookkeeping, retrying a transient failure as the apply does. */
    private <T> T withRetries(String what, SqlWork<T> work) {
        SQLException last = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            try {
                return work.run();
            }
            catch (SQLException e) {
                rollbackQuietly();
                last = e;
                if (!SqlErrors.isTransient(e)) {
                    break;
                }
                closeConnection();
                sleep(Math.min(MAX_BACKOFF_MS, 250L << Math.min(attempt, 10)));
            }
        }
        throw new ApplyException("In target database '" + database + "', " + what + " failed: SQLState " + last.getSQLState() + ", "
                + last.getMessage(), last);
    }

    private void applySegment(List<SourceRecordRef> records) {
        if (records.isEmpty()) {
            return;
        }
        boolean ddl = records.size() == 1 && records.get(0).event() != null && records.get(0).event().op() == ChangeOp.DDL;
        SQLException last = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            try {
                List<SourceRecordRef> resolved = ddl ? records : resolver.resolve(connection(), withColumnNames(connection(), records));
                Outcome outcome = applyOnce(resolved, true);
                connection.commit();
                lastPositions.putAll(outcome.positions);
                long now = clock.millis();
                for (ChangeEvent e : outcome.applied) {
                    stats.recordApplied(e.table(), e.op(), e.commitTimeMs(), e.endsTableLoad(), now);
                }
                // After the commit: a validation that read the target before this moment sees these rows as changed since.
                stats.changedRows().record(outcome.applied);
                for (SourceRecordRef part : outcome.loaded) {
                    stats.recordLoaded(part.load().table(), part.load().rows(), part.load().lastOfChunk(), part.load().chunks(), now);
                }
                for (int i = 0; i < outcome.skipped; i++) {
                    stats.recordSkippedReplay();
                }
                if (outcome.superseded > 0) {
                    LOG.debug("{} changes were superseded: their rows are gone from the source, and later changes remove them", outcome.superseded);
                }
                if (outcome.skipped > 0) {
                    LOG.info("Skipped {} changes that a capture restart had written to Kafka again", outcome.skipped);
                }
                return;
            }
            catch (SQLException e) {
                rollbackQuietly();
                last = e;
                if (!SqlErrors.isTransient(e)) {
                    if (ddl) {
                        throw new DdlRefused(e instanceof TableWrite.RecordFailure f ? f.cause : e);
                    }
                    throw locate(records, e);
                }
                long backoff = Math.min(MAX_BACKOFF_MS, 250L << Math.min(attempt, 10));
                LOG.warn("Applying {} records to target database '{}' failed (attempt {} of {}, SQLState {}): {}; retrying in {} ms",
                        records.size(), database, attempt, MAX_ATTEMPTS, e.getSQLState(), e.getMessage(), backoff);
                closeConnection();
                sleep(backoff);
            }
        }
        throw new ApplyException("Applying to target database '" + database + "' failed " + MAX_ATTEMPTS + " times in a row (last SQLState "
                + last.getSQLState() + ": " + last.getMessage() + "). Check that the target server is up and reachable; restarting pgshift resumes from the last applied record.", last);
    }

    /** Re-runs the batch one record at a time to name the record the target refuses. */
    private ApplyException locate(List<SourceRecordRef> records, SQLException batchError) {
        try {
            boolean ddl = records.size() == 1 && records.get(0).event() != null && records.get(0).event().op() == ChangeOp.DDL;
            applyOnce(ddl ? records : resolver.resolve(connection(), records), false);
            rollbackQuietly();
            return new ApplyException("The target database '" + database + "' refused a batch (SQLState " + batchError.getSQLState() + ": "
                    + batchError.getMessage() + ") but accepted its records one by one; restart pgshift to retry.", batchError);
        }
        catch (TableWrite.RecordFailure f) {
            rollbackQuietly();
            SourceRecordRef r = f.record;
            String state = f.cause.getSQLState();
            if (r.load() != null) {
                stats.recordError(r.load().table(), "SQLState " + state + " at " + r.partition() + " offset " + r.offset());
                return new ApplyException("The target refused part " + r.load().part() + " of chunk " + r.load().chunk() + " of the bulk load of "
                        + r.load().table() + " (" + r.load().rows() + " rows) from Kafka " + r.partition() + " offset " + r.offset() + ": SQLState "
                        + state + ", " + f.cause.getMessage() + ". " + SqlErrors.advice(state)
                        + " Nothing after this record was applied; after fixing the target, restart pgshift and it resumes from this record.", f.cause);
            }
            stats.recordError(r.event().table(), "SQLState " + state + " at " + r.partition() + " offset " + r.offset());
            return new ApplyException("The target refused a change to " + r.event().table() + " (key " + r.event().key() + ") from Kafka "
                    + r.partition() + " offset " + r.offset() + ": SQLState " + state + ", " + f.cause.getMessage() + ". " + SqlErrors.advice(state)
                    + " Nothing after this record was applied; after fixing the target, restart pgshift and it resumes from this record.", f.cause);
        }
        catch (SQLException e) {
            rollbackQuietly();
            return new ApplyException("Applying to target database '" + database + "' failed: SQLState " + e.getSQLState() + ", " + e.getMessage(), e);
        }
    }

    /** The command tags of the schema changes pgshift applies to the target at their place in the stream. */
    static final java.util.Set<String> CARRIED_DDL = java.util.Set.of("ALTER TABLE", "CREATE TABLE", "CREATE INDEX", "DROP INDEX", "ALTER INDEX", "ALTER TYPE",
            "CREATE TYPE", "DROP TYPE", "CREATE DOMAIN", "ALTER DOMAIN", "DROP DOMAIN", "DROP TABLE", "COMMENT", "ALTER SEQUENCE");
    private static final java.util.regex.Pattern CONCURRENTLY = java.util.regex.Pattern.compile(
            "^(\\s*(?:CREATE\\s+(?:UNIQUE\\s+)?INDEX|DROP\\s+INDEX|REINDEX\\s+\\w+))\\s+CONCURRENTLY\\b",
            java.util.regex.Pattern.CASE_INSENSITIVE);
    private static final java.util.regex.Pattern DROP_WITHOUT_IF_EXISTS = java.util.regex.Pattern.compile(
            "^(\\s*DROP\\s+(?:INDEX(?:\\s+CONCURRENTLY)?|TYPE|DOMAIN|TABLE|SEQUENCE))\\s+(?!IF\\s+EXISTS\\b)", java.util.regex.Pattern.CASE_INSENSITIVE);
    private final java.util.Set<Long> warnedDdl = new java.util.HashSet<>();

    /**
     * A schema change of the source, applied to the target once: its row in {@code pgshift.ddl_applied} is written first, so that of
     * several partitions (or appliers) that reach it, only the first applies it and the others, finding the row, go on. It runs with the
     * source session's search_path (transaction-local), and {@code CONCURRENTLY} left out (it cannot run inside a transaction, and only
     * pgshift writes the target's tables until the cutover). A command pgshift does not carry, or that it cannot find in its query
     * string, is logged once with what to do; the target refusing a carried one stops the applier, naming it.
     */
    private void applyDdl(Connection c, ChangeEvent event, SourceRecordRef record) throws SQLException {
        Map<String, String> d = event.after();
        long id = Long.parseLong(d.get(ChangeEvent.DDL_ID));
        String tag = d.get(ChangeEvent.DDL_TAG);
        java.util.Optional<String> statement = statementOf(d);
        if (!carried(d)) {
            return; // held in pgshift.ddl_held for the operator (decideDdl); one of no table lets its partitions go on
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO pgshift.ddl_applied (id, tag, statement) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING")) {
            ps.setLong(1, id);
            ps.setString(2, tag);
            ps.setString(3, statement.get());
            if (ps.executeUpdate() == 0) {
                return; // another partition's applier applied it, or the operator resolved it
            }
        }
        // A drop of something the target does not have (an index of a table left out of the migration) is a drop done: IF EXISTS.
        if (builtConcurrently.contains(id)) {
            LOG.debug("Schema change {} was run concurrently on target database '{}'; its record marks it applied", id, database);
            return;
        }
        String sql = DROP_WITHOUT_IF_EXISTS.matcher(CONCURRENTLY.matcher(statement.get()).replaceFirst("$1")).replaceFirst("$1 IF EXISTS ");
        List<TableId> touched = ddlTables(d).stream().map(io.pgshift.core.Identifiers::parseQualified).toList();
        try (PreparedStatement path = c.prepareStatement("SELECT set_config('search_path', ?, true)"); Statement st = c.createStatement()) {
            Map<TableId, Map<Integer, List<String>>> before = new HashMap<>();
            for (TableId t : touched) {
                before.put(t, columnTypes(c, t));
            }
            path.setString(1, d.get(ChangeEvent.DDL_SEARCH_PATH));
            path.execute();
            st.execute(sql);
            if (!touched.isEmpty()) {
                List<TargetNeutralization.Neutralized> off = TargetNeutralization.neutralizeInTransaction(c, touched);
                if (!off.isEmpty()) {
                    LOG.info("After schema change {}, these are off in target database '{}' while pgshift applies changes (restored at the cutover): {}",
                            id, database, off);
                }
            }
            for (TableId t : touched) {
                fillRewrittenColumns(c, id, t, before.get(t));
            }
        }
        catch (SQLException e) {
            throw new TableWrite.RecordFailure(record, new SQLException("schema change " + id + " of the source (" + tag + ": " + abbreviate(sql)
                    + ") failed on the target: " + e.getMessage(), e.getSQLState(), e));
        }
        LOG.info("Applied schema change {} of the source to target database '{}': {}", id, database, abbreviate(sql));
    }

    /** The table's columns by attnum, each as its name and type (empty when the target has no such table). */
    private static Map<Integer, List<String>> columnTypes(Connection c, TableId table) throws SQLException {
        Map<Integer, List<String>> types = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT attnum, attname, format_type(atttypid, atttypmod) FROM pg_attribute"
                + " WHERE attrelid = to_regclass(?) AND attnum > 0 AND NOT attisdropped")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    types.put(rs.getInt(1), List.of(rs.getString(2), rs.getString(3)));
                }
            }
        }
        return types;
    }

    /**
     * The columns a schema change filled anew in every existing row of an existing table, whose values the source computed in its own
     * run of the change, which the stream does not carry: a column added with a volatile default (random(), a serial's nextval:
     * PostgreSQL rewrites the table, {@code atthasmissing} stays false) or as an identity; one added with a default evaluated once whose
     * value differs from the source's ({@code attmissingval}: now(), current_user); and a column whose type changed (USING, or a cast
     * that depends on session settings). They are copied from the source by key, each row's current value (a later change of the row
     * follows in the stream). Without a key or a source connection they cannot be, and the change is refused, so that it is held.
     */
    private void fillRewrittenColumns(Connection c, long id, TableId table, Map<Integer, List<String>> before) throws SQLException {
        if (before == null || before.isEmpty()) {
            return; // a table new under this name: created (empty) or renamed
        }
        List<String> columns = new ArrayList<>();
        Map<String, String> onceDefaults = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.atthasdef, a.atthasmissing,"
                + " a.attidentity <> '', a.attgenerated <> '', a.attmissingval::text FROM pg_attribute a"
                + " WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> was = before.get(rs.getInt(1));
                    String name = rs.getString(2);
                    if (rs.getBoolean(7)) {
                        continue; // generated: computed from the other columns alike
                    }
                    if (was != null && !was.get(1).equals(rs.getString(3))) {
                        columns.add(name); // retyped
                    }
                    else if (was == null && (rs.getBoolean(6) || rs.getBoolean(4) && !rs.getBoolean(5))) {
                        columns.add(name); // added, every row filled by a rewrite
                    }
                    else if (was == null && rs.getBoolean(4) && rs.getBoolean(5)) {
                        onceDefaults.put(name, rs.getString(8)); // added with a default evaluated once
                    }
                }
            }
        }
        if (sourceReader != null) {
            sourceReader.forgetTypes();
        }
        if (!onceDefaults.isEmpty() && sourceReader != null) {
            Map<String, String> atSource = sourceReader.missingValues(table, onceDefaults.keySet());
            onceDefaults.forEach((name, value) -> {
                if (!java.util.Objects.equals(value, atSource.get(name))) {
                    columns.add(name);
                }
            });
        }
        if (columns.isEmpty()) {
            return;
        }
        catalog.clear();
        TargetTable target = catalog.table(c, table);
        if (target.keyColumns().isEmpty() || sourceReader == null) {
            throw new SQLException("it computed " + columns + " of every row of " + table + " anew, and the source's values are not in the stream;"
                    + " pgshift copies them from the source by key, which " + (sourceReader == null ? "needs the source reachable from the applier"
                    : "needs a key on the table"), "55000");
        }
        List<String> keys = target.keyColumns();
        long rows = 0;
        // The target's keys in key order, 5,000 at a time (keyset pages over the key's index: bounded memory on any table).
        String keyList = keys.stream().map(io.pgshift.core.Identifiers::quote).collect(java.util.stream.Collectors.joining(", "));
        String page = "SELECT " + keys.stream().map(k -> io.pgshift.core.Identifiers.quote(k) + "::text").collect(java.util.stream.Collectors.joining(", "))
                + " FROM " + target.onlyQuoted() + " WHERE (" + keyList + ") > (" + keys.stream().map(k -> "?::" + target.column(k).typeName())
                .collect(java.util.stream.Collectors.joining(", ")) + ") ORDER BY " + keyList + " LIMIT 5000";
        String first = "SELECT " + keys.stream().map(k -> io.pgshift.core.Identifiers.quote(k) + "::text").collect(java.util.stream.Collectors.joining(", "))
                + " FROM " + target.onlyQuoted() + " ORDER BY " + keyList + " LIMIT 5000";
        List<String> last = null;
        while (true) {
            List<List<String>> batch = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(last == null ? first : page)) {
                for (int i = 0; last != null && i < keys.size(); i++) {
                    ps.setString(i + 1, last.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        List<String> key = new ArrayList<>(keys.size());
                        for (int i = 1; i <= keys.size(); i++) {
                            key.add(rs.getString(i));
                        }
                        batch.add(key);
                    }
                }
            }
            if (batch.isEmpty()) {
                break;
            }
            try {
                rows += fillBatch(c, target, keys, columns, batch);
            }
            catch (SourceMoved e) {
                LOG.warn("After schema change {}, {} of {} cannot be copied from the source: {} (a later schema change renamed or dropped it there;"
                        + " the changes that follow carry the rows, and the cutover's validation compares them)", id, columns, table, e.getMessage());
                return;
            }
            last = batch.get(batch.size() - 1);
        }
        LOG.info("After schema change {}, copied {} of {} rows of {} from the source (their values were computed anew by the change)", id, columns,
                rows, table);
    }

    /** The source no longer has the table or column under the name the stream is at. */
    private static final class SourceMoved extends RuntimeException {
        SourceMoved(String message) {
            super(message);
        }
    }

    private int fillBatch(Connection c, TargetTable target, List<String> keys, List<String> columns, List<List<String>> batch) throws SQLException {
        if (batch.isEmpty()) {
            return 0;
        }
        Map<List<String>, Map<String, String>> values;
        try {
            values = sourceReader.read(target.id(), keys, columns, batch);
        }
        catch (SQLException e) {
            if ("42703".equals(e.getSQLState()) || "42P01".equals(e.getSQLState()) || e.getMessage().contains("has no column")) {
                throw new SourceMoved(e.getMessage());
            }
            throw e;
        }
        if (values.isEmpty()) {
            return 0;
        }
        List<List<String>> found = new ArrayList<>(values.keySet());
        StringBuilder sql = new StringBuilder("UPDATE ").append(target.onlyQuoted()).append(" AS t SET ");
        for (int i = 0; i < columns.size(); i++) {
            sql.append(i > 0 ? ", " : "").append(io.pgshift.core.Identifiers.quote(columns.get(i))).append(" = u.v").append(i).append("::")
                    .append(target.column(columns.get(i)).typeName());
        }
        sql.append(" FROM unnest(").append(java.util.stream.Stream.generate(() -> "?::text[]").limit(keys.size() + columns.size())
                .collect(java.util.stream.Collectors.joining(", "))).append(") AS u(");
        for (int i = 0; i < keys.size(); i++) {
            sql.append(i > 0 ? ", " : "").append('k').append(i);
        }
        for (int i = 0; i < columns.size(); i++) {
            sql.append(", v").append(i);
        }
        sql.append(") WHERE ");
        for (int i = 0; i < keys.size(); i++) {
            sql.append(i > 0 ? " AND " : "").append("t.").append(io.pgshift.core.Identifiers.quote(keys.get(i))).append(" = u.k").append(i).append("::")
                    .append(target.column(keys.get(i)).typeName());
        }
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int p = 1;
            for (int i = 0; i < keys.size(); i++) {
                int col = i;
                ps.setArray(p++, c.createArrayOf("text", found.stream().map(k -> k.get(col)).toArray()));
            }
            for (String column : columns) {
                ps.setArray(p++, c.createArrayOf("text", found.stream().map(k -> values.get(k).get(column)).toArray()));
            }
            return ps.executeUpdate();
        }
    }

    private static String abbreviate(String s) {
        String one = s.replaceAll("\\s+", " ").strip();
        return one.length() > 300 ? one.substring(0, 300) + "..." : one;
    }

    private static final class Outcome {
        final Map<PartitionRef, SourcePosition> positions = new HashMap<>();
        final List<ChangeEvent> applied = new ArrayList<>();
        final List<SourceRecordRef> loaded = new ArrayList<>();
        int skipped;
        int superseded;
    }

    private static final class Progress {
        long nextOffset;
        long count;
        SourcePosition position;
    }

    private Outcome applyOnce(List<SourceRecordRef> records, boolean batched) throws SQLException {
        Connection c = connection();
        Outcome outcome = new Outcome();
        Map<PartitionRef, Progress> progress = new LinkedHashMap<>();
        Map<PartitionRef, SourcePosition> positions = new HashMap<>(lastPositions);
        Map<TableId, TableWrite> pending = new LinkedHashMap<>();
        LoadCopy copy = null; // load parts in a row join one COPY; any other statement ends it first
        for (SourceRecordRef record : records) {
            Progress p = progress.computeIfAbsent(record.partition(), k -> new Progress());
            p.nextOffset = record.offset() + 1;
            p.count++;
            boolean part = record.load() != null && record.load().type() == io.pgshift.core.load.LoadPart.Type.PART;
            if (copy != null && (!part || !batched || !copy.accepts(record.load()))) {
                copy.finish();
                copy = null;
            }
            if (part) {
                TableWrite write = pending.remove(record.load().table());
                if (write != null) {
                    write.flush(c);
                }
                if (copy == null) {
                    copy = LoadCopy.open(c, record);
                }
                copy.add(record);
                outcome.loaded.add(record);
                continue;
            }
            if (record.load() != null) {
                continue;
            }
            ChangeEvent event = record.event();
            if (event == null) {
                continue;
            }
            if (!event.position().isSnapshot()) {
                SourcePosition previous = positions.get(record.partition());
                if (previous != null && event.position().compareTo(previous) <= 0) {
                    outcome.skipped++;
                    continue;
                }
                positions.put(record.partition(), event.position());
                p.position = event.position();
            }
            if (record.superseded()) {
                outcome.superseded++;
                if (event.op() == ChangeOp.READ) {
                    outcome.applied.add(event); // loaded by the snapshot; a later change removes it again
                }
                continue;
            }
            if (event.op() == ChangeOp.DDL) {
                for (TableWrite w : pending.values()) {
                    w.flush(c);
                }
                pending.clear();
                applyDdl(c, event, record);
                outcome.applied.add(event);
                continue;
            }
            TargetTable table = catalog.table(c, event.table());
            WriteShape shape = WriteShape.of(table, event);
            TableWrite write = pending.get(event.table());
            if (write != null && (!batched || !write.accepts(shape))) {
                write.flush(c);
                write = null;
            }
            if (write == null) {
                // Merging a table's changes into multi-row statements (the last image of a key wins) is safe only when the key is its
                // one unique constraint: otherwise every change is applied as its own statement, in source order.
                write = TableWrite.create(shape, batched && !table.orderSensitive());
                pending.put(event.table(), write);
            }
            write.add(record);
            outcome.applied.add(event);
        }
        if (copy != null) {
            copy.finish();
        }
        for (TableWrite write : pending.values()) {
            write.flush(c);
        }
        try (PreparedStatement ps = c.prepareStatement(SqlStatements.WATERMARK)) {
            for (Map.Entry<PartitionRef, Progress> e : progress.entrySet()) {
                Progress p = e.getValue();
                ps.setString(1, e.getKey().topic());
                ps.setInt(2, e.getKey().partition());
                ps.setLong(3, p.nextOffset);
                ps.setString(4, p.position == null || !p.position.previousCommitLsn().isValid() ? null : p.position.previousCommitLsn().toString());
                ps.setString(5, p.position == null ? null : p.position.lsn().toString());
                ps.setInt(6, p.position == null ? 0 : p.position.step());
                ps.setLong(7, p.count);
                ps.addBatch();
            }
            ps.executeBatch();
        }
        outcome.positions.putAll(positions);
        return outcome;
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = target.connect(database, applicationName);
            connection.setAutoCommit(false);
            try (Statement st = connection.createStatement()) {
                st.execute("SET session_replication_role = replica");
                st.execute("SET statement_timeout = 0");
                // Values arrive as text: parse them under fixed settings (time zone, date and interval styles, lc_monetary).
                st.execute(SqlResource.load("session-text-format.sql").replace("SET LOCAL", "SET"));
                st.execute(SqlResource.load("/io/pgshift/sink/sql/apply-progress.sql"));
            }
            connection.commit();
        }
        return connection;
    }

    private void rollbackQuietly() {
        try {
            if (connection != null && !connection.isClosed()) {
                connection.rollback();
            }
        }
        catch (SQLException e) {
            closeConnection();
        }
    }

    private void closeConnection() {
        try {
            if (connection != null) {
                connection.close();
            }
        }
        catch (SQLException ignored) {
            // the connection is gone either way
        }
        connection = null;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApplyException("Interrupted while waiting to retry", e);
        }
    }

    public ApplierStats stats() {
        return stats;
    }

    /** Forgets the target tables' shapes, which are read again when next needed (after DDL such as the post-data section). */
    public synchronized void forgetTargetTables() {
        catalog.clear();
    }

    @Override
    public synchronized void close() {
        rollbackQuietly();
        closeConnection();
        if (sourceReader != null) {
            sourceReader.close();
        }
    }
}
