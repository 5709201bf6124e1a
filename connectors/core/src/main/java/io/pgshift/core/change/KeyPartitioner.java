package io.pgshift.core.change;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.List;
import java.util.StringJoiner;

import io.pgshift.core.Identifiers;

/**
 * The table-topic partition of a row, from its key, computed the same way in Java (where the capture publishes a change) and in SQL
 * (where the applier deletes one partition's rows for a TRUNCATE): the first 32 bits of the MD5 of the key columns' text, joined by
 * U+001F, as an unsigned number, modulo the topic's partition count. Every change of one key lands in one partition, so the applier
 * keeps each row's changes in source order while the partitions of a hot table are applied in parallel.
 *
 * <p>Only keys whose every column prints one way, whatever the session, are partitioned ({@code int2}, {@code int4}, {@code int8},
 * {@code uuid}, and domains over them, {@link #PARTITIONABLE_TYPE_OIDS}): their text on the target, read back with {@code ::text},
 * is the text the capture hashed. Text keys are left out because {@code md5(text)} hashes the database encoding's bytes.
 */
public final class KeyPartitioner {

    /** Type OIDs ({@code pg_type.oid}, after domains) whose text form is canonical: int8, int2, int4, uuid ({@code key-partitionable.sql}). */
    public static final List<Integer> PARTITIONABLE_TYPE_OIDS = List.of(20, 21, 23, 2950);

    private static final char SEPARATOR = '\u001f';
    /** One digest per thread: looking MD5 up among the security providers for every change costs more than the hash. */
    private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(KeyPartitioner::md5);

    private KeyPartitioner() {
    }

    /**
     * The partition, in {@code [0, partitions)}, of the key whose columns print as {@code keyTexts} (in key order).
     *
     * @throws IllegalArgumentException when {@code partitions} is below 1 or a key value is null
     */
    public static int partition(Collection<String> keyTexts, int partitions) {
        if (partitions == 1) {
            return 0;
        }
        StringBuilder joined = new StringBuilder(32);
        for (String v : keyTexts) {
            if (v == null) {
                throw new IllegalArgumentException("a key column is null");
            }
            append(joined, v);
        }
        return of(joined, partitions);
    }

    /**
     * The partition of a change whose values ({@code values}, column name to text) hold the key columns {@code keyColumns} (in key
     * order); the same as {@link #partition(Collection, int)} of those values.
     *
     * @throws IllegalArgumentException naming the column when a key column is missing from {@code values} or null there
     */
    public static int partition(List<String> keyColumns, java.util.Map<String, String> values, int partitions) {
        if (partitions == 1) {
            return 0;
        }
        StringBuilder joined = new StringBuilder(32);
        for (String k : keyColumns) {
            String v = values.get(k);
            if (v == null) {
                throw new IllegalArgumentException("key column \"" + k + "\" is " + (values.containsKey(k) ? "null" : "missing") + " in the change");
            }
            append(joined, v);
        }
        return of(joined, partitions);
    }

    private static void append(StringBuilder joined, String value) {
        if (!joined.isEmpty()) {
            joined.append(SEPARATOR);
        }
        joined.append(value);
    }

    private static int of(StringBuilder joined, int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("a topic has at least one partition, not " + partitions);
        }
        byte[] md5 = MD5.get().digest(joined.toString().getBytes(StandardCharsets.UTF_8));
        long hash = ((md5[0] & 0xffL) << 24) | ((md5[1] & 0xffL) << 16) | ((md5[2] & 0xffL) << 8) | (md5[3] & 0xffL);
        return (int) (hash % partitions);
    }

    /**
     * The SQL condition that holds for exactly the rows of {@code partition}: {@code mod(('x' || left(md5(k1::text || E'\x1f' || ...),
     * 8))::bit(32)::bigint, n) = p} (a {@code bit(32)} casts to bigint as an unsigned number).
     */
    public static String sqlCondition(List<String> keyColumns, int partition, int partitions) {
        StringJoiner text = new StringJoiner(" || chr(31) || ");
        for (String k : keyColumns) {
            text.add(Identifiers.quote(k) + "::text");
        }
        return "mod(('x' || left(md5(" + text + "), 8))::bit(32)::bigint, " + partitions + ") = " + partition;
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no MD5", e);
        }
    }
}
