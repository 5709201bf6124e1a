package io.pgshift.core.change;

import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.pgshift.core.TableId;

/**
 * One change to one row (or one TRUNCATE), independent of Kafka and of Debezium's classes.
 * Values are PostgreSQL text input forms, ready to be sent as untyped parameters that the target
 * parses with the column's own input function; {@code null} is SQL NULL, and
 * {@link #UNCHANGED} marks a TOASTed column the source did not send because it did not change, and
 * {@link #FROM_SOURCE} a value the record does not carry exactly.
 *
 * @param table       the source table
 * @param op          what happened
 * @param key         primary-key (or replica identity) columns and values, in key order; for an update or delete of a table
 *                    with REPLICA IDENTITY FULL, the key columns first, then every other column of the old row
 * @param after       the row after the change, every column in table order; empty for deletes and truncates
 * @param position    where the change stands in the source stream
 * @param commitTimeMs source commit time, epoch milliseconds; 0 when unknown
 * @param endsTableLoad whether this is the last snapshot row of its table (Debezium marks it): once it is applied, the
 *                      table's full load is complete
 * @param slice        for a TRUNCATE of a key-partitioned table topic, the rows this partition's copy removes; null for every
 *                     other change, and for a TRUNCATE of the whole table
 */
public record ChangeEvent(TableId table, ChangeOp op, Map<String, String> key, Map<String, String> after,
                          SourcePosition position, long commitTimeMs, boolean endsTableLoad, TruncateSlice slice) {

    public ChangeEvent(TableId table, ChangeOp op, Map<String, String> key, Map<String, String> after, SourcePosition position, long commitTimeMs,
                       boolean endsTableLoad) {
        this(table, op, key, after, position, commitTimeMs, endsTableLoad, null);
    }

    public ChangeEvent(TableId table, ChangeOp op, Map<String, String> key, Map<String, String> after, SourcePosition position, long commitTimeMs) {
        this(table, op, key, after, position, commitTimeMs, false);
    }

    /** Fields of a {@link ChangeOp#DDL} event's {@code after}: the id of its pgshift.ddl row on the source. */
    public static final String DDL_ID = "id";
    /** The query string the client sent (one statement, or several with {@link #DDL_ORDINAL} saying which DDL command). */
    public static final String DDL_COMMAND = "command";
    /** The command's place among the DDL commands of its query string, from 1. */
    public static final String DDL_ORDINAL = "ordinal";
    /** The command tag (ALTER TABLE, CREATE INDEX, ALTER TYPE, ...). */
    public static final String DDL_TAG = "tag";
    /** The session's search_path when the command ran. */
    public static final String DDL_SEARCH_PATH = "search_path";
    /** The selected tables the change touches, as quoted names joined by U+001F; empty for a change of no table (a type, a domain). */
    public static final String DDL_TABLES = "tables";
    /**
     * How many Kafka partitions the change was published to (every partition of each table it touches, or of every table for a change
     * of no table): it is applied once all of them reached it, a barrier across the partitions of a key-partitioned table and across the
     * tables (for a change of no table, a partition waiting at a held change of its table counts as arrived). Absent (records of
     * earlier pgshift versions): applied by the first partition that reaches it.
     */
    public static final String DDL_PARTITIONS = "partitions";
    /** Why the capture cannot carry the change (a table created that cannot join, a table renamed out of the selection); absent when it can. */
    public static final String DDL_NOT_CARRIED = "not_carried";

    /** A schema change of the source, to apply to {@code table}'s target at this place in its stream ({@link ChangeOp#DDL}). */
    public static ChangeEvent ddl(TableId table, long id, String command, int ordinal, String tag, String searchPath, SourcePosition position,
                                  long commitTimeMs) {
        Map<String, String> after = new java.util.LinkedHashMap<>();
        after.put(DDL_ID, Long.toString(id));
        after.put(DDL_COMMAND, command);
        after.put(DDL_ORDINAL, Integer.toString(ordinal));
        after.put(DDL_TAG, tag);
        after.put(DDL_SEARCH_PATH, searchPath);
        return new ChangeEvent(table, ChangeOp.DDL, Map.of(), after, position, commitTimeMs);
    }

    /**
     * What the capture writes for a TOASTed value an update left unchanged (Debezium's
     * {@code unavailable.value.placeholder}). It starts and ends with NUL, which no PostgreSQL text value
     * can contain, so it never collides with a real value (Debezium's default, a plain string, can).
     */
    public static final String UNCHANGED_TOAST_PLACEHOLDER = "\u0000pgshift:unchanged-toast\u0000";

    /** A value the source did not send: leave the column as it is in the target. */
    public static final String UNCHANGED = new String("\u0000pgshift-unchanged-toast\u0000");

    public ChangeEvent {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(op, "op");
        key = key == null ? Map.of() : key;
        after = after == null ? Map.of() : after;
        position = position == null ? SourcePosition.SNAPSHOT : position;
        if (slice != null && op != ChangeOp.TRUNCATE) {
            throw new IllegalArgumentException("only a TRUNCATE has a slice, not " + op);
        }
    }

    /** This TRUNCATE as the copy for one partition of a key-partitioned topic. */
    public ChangeEvent withSlice(TruncateSlice slice) {
        return new ChangeEvent(table, op, key, after, position, commitTimeMs, endsTableLoad, slice);
    }

    /**
     * A value the record does not carry exactly (the capture's representation of it is lossy): the
     * applier reads it from the source instead.
     */
    public static final String FROM_SOURCE = new String("\u0000pgshift-read-from-source\u0000");

    public static boolean isFromSource(String value) {
        return value == FROM_SOURCE; // identity on purpose
    }

    public static boolean isUnchanged(String value) {
        return value == UNCHANGED; // identity on purpose: no source value can be this instance
    }

    public List<String> keyColumns() {
        return List.copyOf(key.keySet());
    }

    @Override
    public String toString() {
        // Values are left out on purpose: they may be personal data.
        return op + " " + table + " key " + key.keySet() + " at " + position;
    }
}
