package io.pgshift.source;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.pgshift.core.Lsn;
import io.pgshift.core.MigrationNames;
import io.pgshift.core.TableId;
import io.pgshift.core.change.ChangeEvent;
import io.pgshift.core.change.ChangeRecordCodec;
import io.pgshift.core.change.ChangeOp;
import io.pgshift.core.change.DebeziumChangeParser;
import io.pgshift.core.change.KeyPartitioner;
import io.pgshift.core.change.TruncateSlice;

/**
 * Receives Debezium's records in batches and writes each data change to its table's topic, keyed by
 * primary key, as a pgshift change record ({@link ChangeRecordCodec}: values rendered as PostgreSQL text once,
 * here, and no Connect schema repeated in every record). A batch's offsets are marked processed
 * only after Kafka acknowledged every record of the batch, so the source offset never runs ahead of
 * what Kafka holds; a crash replays, in order, at most what was not yet committed.
 */
final class KafkaPublisher implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaPublisher.class);

    private final Producer<byte[], byte[]> producer;
    private final MigrationNames names;
    private final String database;
    private final Set<TableId> tables;
    /** Tables whose old row images hold every column (REPLICA IDENTITY FULL where their writes land). */
    private final Set<TableId> completeOldRows;
    /**
     * Tables whose changes are spread over their topic's partitions by key ({@link KeyPartitioner}), to their key columns in key
     * order (the catalog's, which the hash follows whatever order Debezium's key struct has); the others' changes go to partition 0.
     */
    private final Map<TableId, List<String>> keyPartitioned;
    private final Map<TableId, String> topics = new HashMap<>();
    /** Each topic's partition count, read once: a key keeps its partition for the life of the process. */
    private final Map<String, Integer> partitionCounts = new HashMap<>();
    private final Consumer<FencePoint> fenceListener;
    private final AtomicLong published = new AtomicLong();
    private final AtomicReference<Lsn> lastLsn = new AtomicReference<>(Lsn.INVALID);

    /**
     * How the set of captured tables changes with the source's schema (where schema changes are captured): a table created matching the
     * selection joins, a renamed table keeps its topic under its new name.
     */
    interface Membership {
        /** A table created on the source joined the migration (the capture added it to the publication): its topic, created; its info. */
        io.pgshift.core.catalog.TableInfo joined(TableId table);

        /** A captured table was renamed on the source: it keeps its topic. */
        void renamed(TableId from, TableId to);

        /** Whether the migration's selection picks this name. */
        boolean selects(TableId table);

        /** After a schema change of a table whose topic has several partitions: its key columns if its changes may be spread by key now, else null. */
        default List<String> partitionKey(TableId table) {
            return null;
        }

        Membership NONE = new Membership() {
            public io.pgshift.core.catalog.TableInfo joined(TableId table) {
                throw new IllegalStateException("no table joins without schema change capture");
            }

            public void renamed(TableId from, TableId to) {
            }

            public boolean selects(TableId table) {
                return false;
            }
        };
    }

    private final Membership membership;
    /** The captured tables by pg_class oid, to know a renamed one (pgshift.ddl's relations). */
    private final Map<Long, TableId> byOid;

    KafkaPublisher(Producer<byte[], byte[]> producer, MigrationNames names, String database, Set<TableId> tables, Set<TableId> completeOldRows,
                   Map<TableId, List<String>> keyPartitioned, Consumer<FencePoint> fenceListener) {
        this(producer, names, database, tables, completeOldRows, keyPartitioned, fenceListener, Map.of(), Membership.NONE);
    }

    KafkaPublisher(Producer<byte[], byte[]> producer, MigrationNames names, String database, Set<TableId> tables, Set<TableId> completeOldRows,
                   Map<TableId, List<String>> keyPartitioned, Consumer<FencePoint> fenceListener, Map<Long, TableId> byOid, Membership membership) {
        // Mutable, and only touched by Debezium's one handler thread: tables join and are renamed as schema changes arrive.
        this.keyPartitioned = new HashMap<>(keyPartitioned);
        this.producer = producer;
        this.names = names;
        this.database = database;
        this.tables = new java.util.HashSet<>(tables);
        this.completeOldRows = new java.util.HashSet<>(completeOldRows);
        this.fenceListener = fenceListener;
        this.byOid = new HashMap<>(byOid);
        this.membership = membership;
    }

    @Override
    public void handleBatch(List<RecordChangeEvent<SourceRecord>> records, DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        List<Future<RecordMetadata>> sends = new ArrayList<>(records.size());
        List<Long> fences = new ArrayList<>();
        Lsn batchLsn = Lsn.INVALID;
        for (RecordChangeEvent<SourceRecord> event : records) {
            SourceRecord record = event.record();
            if (!(record.value() instanceof Struct value) || value.schema().field("source") == null) {
                // Tombstones and heartbeats: nothing to publish, their offsets still advance.
                Lsn lsn = lsnOf(record);
                if (lsn.compareTo(batchLsn) > 0) {
                    batchLsn = lsn;
                }
                continue;
            }
            Lsn lsn = sourceLsn(value);
            if (lsn.compareTo(batchLsn) > 0) {
                batchLsn = lsn;
            }
            Struct source = value.getStruct("source");
            TableId sourceTable = new TableId(DebeziumChangeParser.repairName(source.getString("schema")),
                    DebeziumChangeParser.repairName(source.getString("table")));
            if (sourceTable.equals(SourceSetup.FENCE_TABLE)) {
                Struct after = value.getStruct("after");
                if (after != null) {
                    fences.add(after.getInt64("id"));
                }
                continue;
            }
            if (sourceTable.equals(SourceSetup.DDL_TABLE)) {
                ChangeEvent row = DebeziumChangeParser.parse(record.keySchema(), record.key(), record.valueSchema(), value, false, true);
                if (row != null && row.op() == ChangeOp.CREATE) {
                    publishDdl(row, lsn, sends);
                }
                continue;
            }
            ChangeEvent change = DebeziumChangeParser.parse(record.keySchema(), record.key(), record.valueSchema(), value,
                    completeOldRows.contains(sourceTable), true);
            TableId table = change.table();
            if (!tables.contains(table)) {
                throw new IllegalStateException("Captured a change of table " + table + ", which is not among the selected tables of database '"
                        + database + "'; the publication holds more than the selection. Restart pgshift to re-apply the selection.");
            }
            String topic = topics.computeIfAbsent(table, t -> names.tableTopic(database, t));
            List<String> hashed = keyPartitioned.get(table);
            int partitions = hashed != null ? partitionCounts.computeIfAbsent(topic, t -> producer.partitionsFor(t).size()) : 1;
            if (record.key() == null) {
                if (change.op() == ChangeOp.TRUNCATE && partitions > 1) {
                    // Every partition holds some of the table's rows: each gets its slice of the TRUNCATE, in its place in that partition's order.
                    for (int p = 0; p < partitions; p++) {
                        sends.add(send(topic, p, null, change.withSlice(new TruncateSlice(p, partitions, hashed)), lsn));
                    }
                }
                else {
                    // Tables without a key, and truncates of a table on one partition: partition 0, in order.
                    sends.add(send(topic, 0, null, change, lsn));
                }
                continue;
            }
            // The Kafka key is the row's key only (Debezium's key struct); a change's key map also holds the old row of a table with
            // REPLICA IDENTITY FULL, and only then are the key columns rendered again.
            Map<String, String> keyColumns = record.key() instanceof Struct k && k.schema().fields().size() == change.key().size() ? change.key()
                    : DebeziumChangeParser.keyColumns(record.key());
            int partition;
            try {
                partition = partitions > 1 ? KeyPartitioner.partition(hashed, keyColumns, partitions) : 0;
            }
            catch (IllegalArgumentException e) {
                throw new KafkaPublishException("A change to " + table + " at source LSN " + lsn + " cannot be placed by its key (" + e.getMessage()
                        + "; the catalog's key is " + hashed + "). Its key changed since pgshift started: restart pgshift. The source offset was"
                        + " not advanced.", e);
            }
            sends.add(send(topic, partition, ChangeRecordCodec.key(keyColumns), change, lsn));
        }
        producer.flush();
        for (Future<RecordMetadata> send : sends) {
            try {
                send.get();
            }
            catch (ExecutionException e) {
                throw new KafkaPublishException("Kafka did not acknowledge a change record of database '" + database
                        + "': " + e.getCause().getMessage() + ". The source offset was not advanced; restarting pgshift resumes from the last acknowledged change.",
                        e.getCause());
            }
        }
        published.addAndGet(sends.size());
        if (batchLsn.isValid()) {
            lastLsn.set(batchLsn);
        }
        // The engine keeps the last offset marked (Debezium's BaseSourceTask.commitRecord, Connect's OffsetStorageWriter: one offset per
        // source partition, the later replacing the earlier), so marking the batch's last record says what marking each would.
        if (!records.isEmpty()) {
            committer.markProcessed(records.get(records.size() - 1));
        }
        committer.markBatchFinished();
        for (long fence : fences) {
            FencePoint point = new FencePoint(database, fence, batchLsn);
            LOG.debug("Fence {} of database '{}' passed at {}", fence, database, batchLsn);
            fenceListener.accept(point);
        }
    }

    /**
     * A schema change captured in pgshift.ddl: to the topic of each selected table it touches, on every partition, at its place in each
     * (the changes of those tables before it go first, those after it follow it). A change of no table (a type, a domain, a dropped
     * index) goes to every selected table's topic: the first applier to reach it applies it, the others find it applied. A change
     * that touches only tables not selected is left out.
     */
    private void publishDdl(ChangeEvent row, Lsn lsn, List<Future<RecordMetadata>> sends) {
        Map<String, String> r = row.after();
        long id = Long.parseLong(r.get("id"));
        List<TableId> touched = new ArrayList<>();
        try {
            for (com.fasterxml.jackson.databind.JsonNode n : new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.get("tables"))) {
                touched.add(io.pgshift.core.Identifiers.parseQualified(n.asText()));
            }
        }
        catch (com.fasterxml.jackson.core.JsonProcessingException | RuntimeException e) {
            throw new KafkaPublishException("Schema change " + id + " of source database '" + database + "' (pgshift.ddl) names its tables as '"
                    + r.get("tables") + "', which cannot be read: " + e.getMessage(), e);
        }
        String tag = r.get("tag");
        List<TableId> renamedOut = new ArrayList<>();
        List<TableId> notJoined = new ArrayList<>();
        String notCarried = follow(id, tag, r, renamedOut, notJoined);
        if (notCarried == null) {
            List<TableId> unknown = touched.stream().filter(t -> !tables.contains(t) && membership.selects(t)).toList();
            if (!notJoined.isEmpty()) {
                notCarried = "it created " + notJoined + ", which the selection picks, but pgshift cannot stream " + (notJoined.size() == 1 ? "it" : "them")
                        + ": " + ("CREATE TABLE".equals(tag) ? "a partitioned table without a primary key has no replica identity its partitions"
                        + " could use, and in the publication their UPDATE and DELETE would fail" : "the command wrote its rows itself, before pgshift"
                        + " could capture them")
                        + ". Create and fill it on the target (pg_dump -t, while nothing writes it), then resolve this change";
            }
            else if (!unknown.isEmpty() && "DROP TABLE".equals(tag)) {
                notCarried = "it dropped " + unknown + ", which pgshift does not stream as a table of its own (a partition, whose rows go with its"
                        + " root's changes); drop it on the target too, then resolve this change";
            }
        }
        // Held where it is not carried: a table renamed out of the selection holds that table; a table created that cannot join holds
        // only the cutover (the change goes to every table, as a change of no table does).
        List<TableId> targets = !renamedOut.isEmpty() ? renamedOut : touched.isEmpty() || notCarried != null ? List.copyOf(tables)
                : touched.stream().filter(tables::contains).toList();
        if (targets.isEmpty()) {
            LOG.info("Schema change {} of source database '{}' ({}) touches no selected table {}: not carried", id, database, tag, touched);
            return;
        }
        ChangeEvent ddl = ChangeEvent.ddl(targets.get(0), id, r.get("command"), Integer.parseInt(r.get("ordinal")), r.get("tag"),
                r.get("search_path"), row.position(), row.commitTimeMs());
        Map<String, Integer> partitionsOf = new java.util.LinkedHashMap<>();
        for (TableId table : targets) {
            String topic = topics.computeIfAbsent(table, t -> names.tableTopic(database, t));
            // Every partition of the topic, spread by key or not: the change is a barrier across them, so whether the table is spread may
            // change at it (below).
            partitionsOf.put(topic, partitionCounts.computeIfAbsent(topic, t -> producer.partitionsFor(t).size()));
        }
        Map<String, String> after = new java.util.LinkedHashMap<>(ddl.after());
        if (notCarried != null) {
            after.put(ChangeEvent.DDL_NOT_CARRIED, notCarried);
        }
        if (!touched.isEmpty() && (notCarried == null || !renamedOut.isEmpty())) {
            // The barrier: applied once every partition it goes to has reached it (ChangeApplier), so that no partition of these tables
            // still holds a change from before it.
            after.put(ChangeEvent.DDL_TABLES, String.join("\u001f", targets.stream().map(TableId::quoted).toList()));
            after.put(ChangeEvent.DDL_PARTITIONS, Integer.toString(partitionsOf.values().stream().mapToInt(Integer::intValue).sum()));
        }
        else if (touched.isEmpty() && notCarried == null) {
            // A change of no table (a type, a domain, a dropped index: the capture cannot name a dropped index's table) is a barrier
            // across every partition: a DROP INDEX must not overtake the CREATE INDEX of a table whose partitions are behind.
            after.put(ChangeEvent.DDL_PARTITIONS, Integer.toString(partitionsOf.values().stream().mapToInt(Integer::intValue).sum()));
        }
        for (TableId table : targets) {
            String topic = topics.get(table);
            ChangeEvent here = new ChangeEvent(table, ChangeOp.DDL, Map.of(), after, ddl.position(), ddl.commitTimeMs());
            for (int p = 0; p < partitionsOf.get(topic); p++) {
                sends.add(send(topic, p, null, here, lsn));
            }
        }
        LOG.info("Schema change {} of source database '{}' ({}) goes to the target in order with the changes of {} tables", id, database,
                r.get("tag"), targets.size());
        if (!touched.isEmpty()) {
            for (TableId table : targets) {
                if (partitionsOf.get(topics.get(table)) > 1) {
                    // The change may have added a unique index or changed the key: whether the table's changes may be spread by key is read
                    // again. Changing it here is safe: every partition reaches this change before it is applied, and before any later change.
                    // Spread only a table that was spread (or is new), and stop at a change that may add a unique index or change the key:
                    // the catalog read now may be ahead of this change, and spreading a table whose target has another unique index
                    // could apply two rows' changes out of their order.
                    boolean wasSpread = keyPartitioned.containsKey(table) || CREATES_TABLE.contains(tag);
                    List<String> key = !wasSpread || MAY_CHANGE_PARTITIONING.matcher(r.get("command")).find() ? null : membership.partitionKey(table);
                    List<String> before = key == null ? keyPartitioned.remove(table) : keyPartitioned.put(table, key);
                    if ((before == null) != (key == null)) {
                        LOG.info("After schema change {}, the changes of {} are {}", id, table, key == null ? "no longer spread by key (all on partition 0)"
                                : "spread by key " + key);
                    }
                }
            }
        }
    }

    private static final Set<String> CREATES_TABLE = Set.of("CREATE TABLE", "CREATE TABLE AS", "SELECT INTO");
    /** Words of a statement that may make a table's changes unfit to spread by key (a unique index or constraint, a key or its type). */
    private static final java.util.regex.Pattern MAY_CHANGE_PARTITIONING = java.util.regex.Pattern.compile(
            "\\b(UNIQUE|EXCLUDE|PRIMARY\\s+KEY|REPLICA\\s+IDENTITY|TYPE|ATTACH|INHERIT)\\b", java.util.regex.Pattern.CASE_INSENSITIVE);

    /**
     * Follows what a schema change did to the captured tables (pgshift.ddl's relations, by oid, and published): a captured table under a
     * new name keeps its topic; a table the capture added to the publication joins. Returns why the change cannot be carried (a table
     * renamed out of the selection, whose changes Debezium stops capturing), or null.
     */
    private String follow(long id, String tag, Map<String, String> r, List<TableId> renamedOut, List<TableId> notJoined) {
        Map<String, Long> relations = new java.util.LinkedHashMap<>();
        Set<String> published = new java.util.HashSet<>();
        try {
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            if (r.get("relations") != null) {
                json.readTree(r.get("relations")).fields().forEachRemaining(e -> relations.put(e.getKey(), e.getValue().asLong()));
            }
            if (r.get("published") != null) {
                json.readTree(r.get("published")).forEach(n -> published.add(n.asText()));
            }
        }
        catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new KafkaPublishException("Schema change " + id + " of source database '" + database + "' (pgshift.ddl) names its relations as '"
                    + r.get("relations") + "', which cannot be read: " + e.getMessage(), e);
        }
        String notCarried = null;
        for (Map.Entry<String, Long> e : relations.entrySet()) {
            TableId now = io.pgshift.core.Identifiers.parseQualified(e.getKey());
            TableId known = byOid.get(e.getValue());
            if (known != null && !known.equals(now)) {
                rename(known, now, e.getValue());
                if (!membership.selects(now)) {
                    renamedOut.add(now);
                    notCarried = known + " was renamed to " + now + ", which the selection does not pick: Debezium no longer captures its changes."
                            + " Rename it back, or copy it to the target during the cutover, then resolve this change";
                }
            }
            else if (known == null && CREATES_TABLE.contains(tag) && !published.contains(e.getKey()) && membership.selects(now)) {
                notJoined.add(now); // created without a key, or by CREATE TABLE AS: not in the publication
            }
            else if (known == null && !CREATES_TABLE.contains(tag) && !tables.contains(now) && membership.selects(now)) {
                // Moved or renamed into the selection (ALTER TABLE ... SET SCHEMA / RENAME TO) with its rows: pgshift does not copy it.
                notCarried = now + " entered the selection (" + tag + ": moved or renamed into it) with its rows, which pgshift does not copy"
                        + " while streaming. Rename or move it back; or leave it out (tables.exclude), restart pgshift, then skip this change";
            }
            else if (known == null && tables.contains(now)) {
                // A table dropped and created again under a captured name (its old oid is gone): the new one is known by its oid from now on.
                byOid.values().removeIf(now::equals);
                byOid.put(e.getValue(), now);
            }
            else if (known == null && published.contains(e.getKey())) {
                io.pgshift.core.catalog.TableInfo info = membership.joined(now);
                tables.add(now);
                byOid.put(e.getValue(), now);
                topics.put(now, names.tableTopic(database, now));
                if (info.replicaIdentity() == 'f') {
                    completeOldRows.add(now);
                }
                LOG.info("Table {} created in source database '{}' ({}) joins the migration: its changes go to topic {}", now, database, tag, topics.get(now));
            }
        }
        return notCarried;
    }

    private void rename(TableId from, TableId to, long oid) {
        tables.remove(from);
        tables.add(to);
        byOid.put(oid, to);
        String topic = topics.remove(from);
        topics.put(to, topic != null ? topic : names.tableTopic(database, from));
        if (completeOldRows.remove(from)) {
            completeOldRows.add(to);
        }
        List<String> hashed = keyPartitioned.remove(from);
        if (hashed != null) {
            keyPartitioned.put(to, hashed);
        }
        membership.renamed(from, to);
        LOG.info("Table {} of source database '{}' is now {}: its changes keep going to topic {}", from, database, to, topics.get(to));
    }

    private Future<RecordMetadata> send(String topic, int partition, byte[] key, ChangeEvent change, Lsn lsn) {
        byte[] bytes = ChangeRecordCodec.value(change);
        long size = (long) bytes.length + (key == null ? 0 : key.length);
        if (size > Topics.MAX_PAYLOAD_BYTES) {
            // Kafka would refuse it, and every restart would capture it again: stop with what to do instead.
            throw new KafkaPublishException("A change to " + change.table() + " (key " + change.key() + ") at source LSN " + lsn + " is " + (size >> 20)
                    + " MB as a change record, more than the " + (Topics.MAX_PAYLOAD_BYTES >> 20) + " MB a Kafka record may hold (values travel"
                    + " as PostgreSQL text, where bytea takes twice its size). pgshift cannot carry it: leave " + change.table() + " out of the"
                    + " migration (tables.exclude) and copy it separately during the cutover. The source offset was not advanced.", null);
        }
        return producer.send(new ProducerRecord<>(topic, partition, key, bytes));
    }

    /** The change's LSN from its {@code source} block (Debezium's {@code source.lsn}, the same as its offset's). */
    private static Lsn sourceLsn(Struct value) {
        Object lsn = value.getStruct("source").get("lsn");
        return lsn instanceof Number n ? Lsn.valueOf(n.longValue()) : Lsn.INVALID;
    }

    private static Lsn lsnOf(SourceRecord record) {
        Object lsn = record.sourceOffset() == null ? null : record.sourceOffset().get("lsn");
        return lsn instanceof Number n ? Lsn.valueOf(n.longValue()) : Lsn.INVALID;
    }

    long publishedCount() {
        return published.get();
    }

    Lsn lastLsn() {
        return lastLsn.get();
    }

    /** Kafka refused or lost a record; the batch's offsets were not committed. */
    static final class KafkaPublishException extends RuntimeException {
        KafkaPublishException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
