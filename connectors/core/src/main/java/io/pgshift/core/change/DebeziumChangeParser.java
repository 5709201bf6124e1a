package io.pgshift.core.change;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

import io.pgshift.core.Lsn;
import io.pgshift.core.TableId;

/**
 * Reads a Debezium PostgreSQL change record (key and envelope as Connect data) into a
 * {@link ChangeEvent}. Shared by every driver: the Kafka Connect task and the plain consumer loop.
 */
public final class DebeziumChangeParser {

    private DebeziumChangeParser() {
    }

    /** Returns {@code null} for records that change nothing (tombstones). */
    public static ChangeEvent parse(Schema keySchema, Object key, Schema valueSchema, Object value) {
        return parse(keySchema, key, valueSchema, value, false, false);
    }

    /**
     * Returns {@code null} for records that change nothing (tombstones).
     *
     * @param completeOldRow whether the table's old row images hold every column (REPLICA IDENTITY FULL on every relation that receives
     *                       its writes): its updates and deletes then carry the whole old row in {@link ChangeEvent#key()}, after the key
     *                       columns. Otherwise an old image holds only the replica identity's columns, the others null as if NULL, so
     *                       it is used only where the record has no key at all.
     * @param floatsExact    whether the record comes straight from Debezium (pgshift's own capture) rather than through Kafka's
     *                       JsonConverter, which turns NaN and the infinities into 0 ({@link PgTextValues#render(Schema, Object, boolean)})
     */
    public static ChangeEvent parse(Schema keySchema, Object key, Schema valueSchema, Object value, boolean completeOldRow, boolean floatsExact) {
        if (!(value instanceof Struct envelope)) {
            return null;
        }
        Struct source = envelope.getStruct("source");
        TableId table = new TableId(repairName(source.getString("schema")), repairName(source.getString("table")));
        ChangeOp op = ChangeOp.fromCode(envelope.getString("op"));
        Map<String, String> keyValues = key instanceof Struct k ? columns(k, floatsExact) : Map.of();
        Map<String, String> after = Map.of();
        if (op.writesRow()) {
            Struct a = envelope.getStruct("after");
            if (a == null) {
                throw new IllegalArgumentException("Record for " + table + " with op " + op + " has no 'after' row image");
            }
            after = columns(a, floatsExact);
        }
        if ((op == ChangeOp.DELETE || op == ChangeOp.UPDATE) && (completeOldRow || keyValues.isEmpty())) {
            // With REPLICA IDENTITY FULL the old row, every column, identifies the row: the applier matches on it where the target
            // has no key it can use (no primary key, or a DEFERRABLE one, which two rows may share inside a source transaction).
            Struct before = envelope.getStruct("before");
            if (before != null) {
                Map<String, String> withOldRow = new LinkedHashMap<>(keyValues); // the key columns first, with the key's values
                columns(before, floatsExact).forEach(withOldRow::putIfAbsent);
                keyValues = withOldRow;
            }
        }
        Long ts = envelope.schema().field("ts_ms") != null ? envelope.getInt64("ts_ms") : null;
        Long commitTs = source.getInt64("ts_ms");
        return new ChangeEvent(table, op, keyValues, after, position(op, source), commitTs != null ? commitTs : ts != null ? ts : 0L,
                op == ChangeOp.READ && endsTableLoad(source));
    }

    /** The key columns of a record's Kafka key (Debezium's key struct) as PostgreSQL text, in key order; empty without a key. */
    public static Map<String, String> keyColumns(Object key) {
        return key instanceof Struct k ? columns(k, true) : Map.of();
    }

    private static Map<String, String> columns(Struct struct, boolean floatsExact) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Field f : struct.schema().fields()) {
            // Struct.get(Field) answers a NULL with the field schema's default, and Debezium puts the column's DEFAULT there:
            // a NULL written to a column with a default would arrive as the default. getWithoutDefault keeps the NULL; without a
            // default both answer the same, and get(Field) reads by position instead of looking the name up.
            Object value = f.schema().defaultValue() == null ? struct.get(f) : struct.getWithoutDefault(f.name());
            values.put(repairName(f.name()), PgTextValues.render(f.schema(), value, floatsExact));
        }
        return values;
    }

    /**
     * Debezium's pgoutput decoder reads the names in a relation message byte by byte into sign-extended
     * chars, so a non-ASCII name ("Größe") arrives as chars U+FF80..U+FFFF, one per UTF-8 byte. Those chars
     * cannot appear in a real identifier's UTF-8 decoding in that pattern, so the name is rebuilt from the bytes.
     */
    public static String repairName(String name) {
        if (name == null) {
            return null;
        }
        boolean mangled = false;
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) >= '\uFF80') {
                mangled = true;
                break;
            }
        }
        if (!mangled) {
            return name;
        }
        byte[] bytes = new byte[name.length()];
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 0x80 && c < '\uFF80') {
                return name; // a real non-ASCII character: not Debezium's mangling
            }
            bytes[i] = (byte) c;
        }
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Debezium marks a table's last snapshot row "last_in_data_collection", and the snapshot's very last one "last". */
    private static boolean endsTableLoad(Struct source) {
        Object snapshot = source.schema().field("snapshot") != null ? source.get("snapshot") : null;
        return snapshot != null && ("last_in_data_collection".equals(snapshot.toString()) || "last".equals(snapshot.toString()));
    }

    private static SourcePosition position(ChangeOp op, Struct source) {
        Object snapshot = source.schema().field("snapshot") != null ? source.get("snapshot") : null;
        if (op == ChangeOp.READ || (snapshot != null && !"false".equals(snapshot.toString()))) {
            return SourcePosition.SNAPSHOT;
        }
        String sequence = source.schema().field("sequence") != null ? source.getString("sequence") : null;
        if (sequence == null) {
            Long lsn = source.getInt64("lsn");
            return new SourcePosition(Lsn.INVALID, lsn == null ? Lsn.INVALID : Lsn.valueOf(lsn));
        }
        SourcePosition position = sequencePosition(sequence);
        // A key change is a delete and an insert at the same LSN; every insert is ordered after a delete there.
        return op == ChangeOp.CREATE ? position.secondStep() : position;
    }

    /** Debezium's {@code source.sequence}: ["<commit lsn of the previous transaction>","<lsn of this change>"], numbers as strings or null. */
    static SourcePosition sequencePosition(String sequence) {
        int comma = sequence.indexOf(',');
        return comma < 0 ? new SourcePosition(lsnPart(sequence), Lsn.INVALID)
                : new SourcePosition(lsnPart(sequence.substring(0, comma)), lsnPart(sequence.substring(comma + 1)));
    }

    /** One element of the sequence: digits, possibly quoted and bracketed; {@code null} or nothing is no LSN. */
    private static Lsn lsnPart(String part) {
        long value = 0;
        boolean digits = false;
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            if (c >= '0' && c <= '9') {
                value = Math.multiplyExact(value, 10L) + (c - '0');
                digits = true;
            }
            else if (c != '[' && c != ']' && c != '"' && c != ' ') {
                return Lsn.INVALID; // null
            }
        }
        return digits ? Lsn.valueOf(value) : Lsn.INVALID;
    }
}
