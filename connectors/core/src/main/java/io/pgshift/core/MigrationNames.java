package io.pgshift.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every name pgshift derives from the migration's name, in one place: replication slot, publication,
 * Kafka topics and consumer group. Slot names follow PostgreSQL's rule (lower-case letters, digits and
 * underscores, at most 63 characters); topic names Kafka's ([a-zA-Z0-9._-], at most 249).
 */
public final class MigrationNames {

    private static final int MAX_PG_NAME = 63;
    private static final int MAX_TOPIC = 249;

    private final String migration;

    public MigrationNames(String migration) {
        this.migration = migration;
    }

    public String migration() {
        return migration;
    }

    public String slotName(String sourceDatabase) {
        return pgName("pgshift_" + migration + "_" + sourceDatabase);
    }

    public String publicationName(String sourceDatabase) {
        return pgName("pgshift_" + migration + "_" + sourceDatabase);
    }

    /** The Debezium connector's logical name, also its {@code topic.prefix}. */
    public String connectorName(String sourceDatabase) {
        return topicSafe("pgshift." + migration + "." + sourceDatabase);
    }

    /** The Kafka topic of one source table. */
    public String tableTopic(String sourceDatabase, TableId table) {
        String raw = "pgshift." + migration + "." + sourceDatabase + "." + table.schema() + "." + table.table();
        if (table.schema().indexOf('.') >= 0 || table.table().indexOf('.') >= 0) {
            // "a.b"."c" and "a"."b.c" would read the same: the hash is of the exact pair.
            String safe = topicSafe(raw);
            String hash = shortHash(table.schema() + "\u0000" + table.table());
            return (safe.length() > MAX_TOPIC - 9 ? safe.substring(0, MAX_TOPIC - 9) : safe) + "_" + hash;
        }
        return topicSafe(raw);
    }

    /**
     * The topic a Debezium connector with {@code topic.prefix} {@link #connectorName} writes a table's changes to: its default
     * {@code <topic.prefix>.<schema>.<table>}, every character Kafka does not allow in a topic name written as '_'
     * ({@code io.debezium.schema.DefaultTopicNamingStrategy} and {@code io.debezium.util.SchemaNameAdjuster}). Unlike
     * {@link #tableTopic} it holds no hash, so two tables may map to one name ({@link #topicCollisions} finds them).
     */
    public String debeziumTopic(String sourceDatabase, TableId table) {
        return (connectorName(sourceDatabase) + "." + table.schema() + "." + table.table()).replaceAll("[^a-zA-Z0-9._-]", "_");
    }

    /**
     * Tables whose topics Kafka would take for one: equal names, or names equal once '.' is read as '_' (Kafka refuses to create a
     * topic whose name collides with another's that way, as their metric names would). Returns each such group, by its common form;
     * empty when none.
     */
    public static Map<String, List<TableId>> topicCollisions(Map<TableId, String> topics) {
        Map<String, List<TableId>> byForm = new TreeMap<>();
        topics.forEach((table, topic) -> byForm.computeIfAbsent(topic.replace('.', '_'), k -> new ArrayList<>()).add(table));
        byForm.values().removeIf(tables -> tables.size() < 2);
        return byForm;
    }

    /** The topic that carries the bulk snapshot of a source database as COPY data ({@link io.pgshift.core.load.LoadPart}). */
    public String loadTopic(String sourceDatabase) {
        return topicSafe("pgshift." + migration + "." + sourceDatabase + ".load");
    }

    /** Compacted topic where the capture stores its source offsets. */
    public String offsetsTopic() {
        return "pgshift." + migration + ".offsets";
    }

    public String controlTopic() {
        return "pgshift." + migration + ".control";
    }

    public String statusTopic() {
        return "pgshift." + migration + ".status";
    }

    /** The applier's consumer group: standard Kafka tools show its lag under this name. */
    public String applierGroup(String targetDatabase) {
        return "pgshift." + migration + "." + targetDatabase + ".applier";
    }

    private static String pgName(String raw) {
        String safe = raw.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (safe.equals(raw) && safe.length() <= MAX_PG_NAME) {
            return safe;
        }
        String hash = shortHash(raw);
        return (safe.length() > MAX_PG_NAME - 9 ? safe.substring(0, MAX_PG_NAME - 9) : safe) + "_" + hash;
    }

    private static String topicSafe(String raw) {
        String safe = raw.replaceAll("[^a-zA-Z0-9._-]", "_");
        if (safe.equals(raw) && safe.length() <= MAX_TOPIC) {
            return safe;
        }
        String hash = shortHash(raw);
        return (safe.length() > MAX_TOPIC - 9 ? safe.substring(0, MAX_TOPIC - 9) : safe) + "_" + hash;
    }

    static String shortHash(String raw) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(raw.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
