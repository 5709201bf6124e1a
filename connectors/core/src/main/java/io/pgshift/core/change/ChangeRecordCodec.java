package io.pgshift.core.change;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;

import io.pgshift.core.Lsn;
import io.pgshift.core.TableId;

/**
 * pgshift's change record on a table topic: one {@link ChangeEvent} as a small JSON object whose values are
 * already PostgreSQL text, rendered once where the capture reads Debezium's record. A record does not repeat
 * the Connect schema (Debezium's JSON envelope with {@code schemas.enable} does, for every row), so neither
 * side spends its time writing and parsing schemas.
 *
 * <pre>
 * key:   {"aid":"42"}                                  the key columns, in key order (null without a key)
 * value: {"v":1, "op":"u", "schema":"public", "table":"pgbench_accounts",
 *         "key":{"aid":"42"}, "after":{"aid":"42","bid":"1","abalance":"-17","filler":{"unchanged":true}},
 *         "lsn":23648712, "prev_commit_lsn":23648600, "step":0, "commit_ts_ms":1764000000000, "ends_table_load":false}
 * </pre>
 *
 * A column value is a string (the text PostgreSQL's input function reads), {@code null} (SQL NULL),
 * {@code {"unchanged":true}} (a TOASTed value the source did not send: keep the target's) or
 * {@code {"from_source":true}} (the capture's value is not exact: the applier reads it from the source by key).
 * LSNs are numbers; 0 is none (snapshot rows). Unknown fields are skipped, so fields can be added without
 * breaking an older applier; {@code v} changes only when a reader must refuse what it cannot read.
 */
public final class ChangeRecordCodec {

    public static final int VERSION = 1;
    /**
     * The version of a TRUNCATE that removes one partition's slice of a table ({@link TruncateSlice}): an applier that does not know
     * slices would empty the whole table from each partition, so it must refuse such a record.
     */
    public static final int VERSION_SLICED_TRUNCATE = 2;
    /** The version of a schema change ({@link ChangeOp#DDL}): an applier that does not know it would fail on its op, so it must refuse it. */
    public static final int VERSION_DDL = 3;
    /**
     * Jackson limits a string to 20 MB by default ({@link StreamReadConstraints}); a text value may be up to 1 GB in PostgreSQL,
     * and a record is already bounded by Kafka's record size (pgshift's topics allow 64 MB), so no further limit applies here.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
            .build();

    private ChangeRecordCodec() {
    }

    /** The record key: the key columns, so that Kafka puts every change of one row in one partition; null without a key. */
    public static byte[] key(ChangeEvent e) {
        return key(e.key());
    }

    /** The record key of these key columns (in key order); null when there are none. */
    public static byte[] key(Map<String, String> keyColumns) {
        if (keyColumns.isEmpty()) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            writeColumns(g, keyColumns);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }

    public static byte[] value(ChangeEvent e) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("v", e.op() == ChangeOp.DDL ? VERSION_DDL : e.slice() == null ? VERSION : VERSION_SLICED_TRUNCATE);
            g.writeStringField("op", String.valueOf(e.op().code()));
            g.writeStringField("schema", e.table().schema());
            g.writeStringField("table", e.table().table());
            g.writeFieldName("key");
            writeColumns(g, e.key());
            if (!e.after().isEmpty()) {
                g.writeFieldName("after");
                writeColumns(g, e.after());
            }
            SourcePosition p = e.position();
            if (!p.isSnapshot()) {
                g.writeNumberField("lsn", p.lsn().asLong());
                g.writeNumberField("prev_commit_lsn", p.previousCommitLsn().asLong());
                if (p.step() != 0) {
                    g.writeNumberField("step", p.step());
                }
            }
            g.writeNumberField("commit_ts_ms", e.commitTimeMs());
            if (e.endsTableLoad()) {
                g.writeBooleanField("ends_table_load", true);
            }
            if (e.slice() != null) {
                g.writeObjectFieldStart("slice");
                g.writeNumberField("partition", e.slice().partition());
                g.writeNumberField("of", e.slice().partitions());
                g.writeArrayFieldStart("key");
                for (String k : e.slice().keyColumns()) {
                    g.writeString(k);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndObject();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }

    private static void writeColumns(JsonGenerator g, Map<String, String> columns) throws IOException {
        g.writeStartObject();
        for (Map.Entry<String, String> c : columns.entrySet()) {
            String v = c.getValue();
            if (v == null) {
                g.writeNullField(c.getKey());
            }
            else if (ChangeEvent.isUnchanged(v)) {
                g.writeObjectFieldStart(c.getKey());
                g.writeBooleanField("unchanged", true);
                g.writeEndObject();
            }
            else if (ChangeEvent.isFromSource(v)) {
                g.writeObjectFieldStart(c.getKey());
                g.writeBooleanField("from_source", true);
                g.writeEndObject();
            }
            else {
                g.writeStringField(c.getKey(), v);
            }
        }
        g.writeEndObject();
    }

    /** Reads a record value; throws {@link IllegalArgumentException} saying what is wrong with a record that is not one. */
    public static ChangeEvent decode(byte[] value) {
        try (JsonParser p = JSON.createParser(value)) {
            expect(p.nextToken(), JsonToken.START_OBJECT, "a JSON object");
            int version = -1;
            ChangeOp op = null;
            String schema = null;
            String table = null;
            Map<String, String> key = Map.of();
            Map<String, String> after = Map.of();
            long lsn = 0;
            long previousCommitLsn = 0;
            int step = 0;
            long commitTs = 0;
            boolean endsTableLoad = false;
            TruncateSlice slice = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "v" -> version = p.getIntValue();
                    case "op" -> op = ChangeOp.fromCode(text(p, t, field));
                    case "schema" -> schema = text(p, t, field);
                    case "table" -> table = text(p, t, field);
                    case "key" -> key = readColumns(p, t);
                    case "after" -> after = readColumns(p, t);
                    case "lsn" -> lsn = p.getLongValue();
                    case "prev_commit_lsn" -> previousCommitLsn = p.getLongValue();
                    case "step" -> step = p.getIntValue();
                    case "commit_ts_ms" -> commitTs = p.getLongValue();
                    case "ends_table_load" -> endsTableLoad = p.getBooleanValue();
                    case "slice" -> slice = readSlice(p, t);
                    default -> p.skipChildren();
                }
            }
            if (version != VERSION && version != VERSION_SLICED_TRUNCATE && version != VERSION_DDL) {
                throw new IllegalArgumentException("it is a change record of format version " + version + ", and this pgshift reads versions "
                        + VERSION + " to " + VERSION_DDL + " (was it written by another pgshift release?)");
            }
            if (op == null || schema == null || table == null) {
                throw new IllegalArgumentException("it lacks its op, schema or table");
            }
            SourcePosition position = lsn == 0 && previousCommitLsn == 0 ? SourcePosition.SNAPSHOT
                    : new SourcePosition(Lsn.valueOf(previousCommitLsn), Lsn.valueOf(lsn), step);
            if (slice != null && op != ChangeOp.TRUNCATE) {
                throw new IllegalArgumentException("it has a truncate slice but is a " + op);
            }
            return new ChangeEvent(new TableId(schema, table), op, key, after, position, commitTs, endsTableLoad, slice);
        }
        catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("it is not a pgshift change record (" + e.getOriginalMessage() + ")", e);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static TruncateSlice readSlice(JsonParser p, JsonToken start) throws IOException {
        expect(start, JsonToken.START_OBJECT, "a truncate slice object");
        int partition = -1;
        int of = -1;
        java.util.List<String> key = new java.util.ArrayList<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            switch (field) {
                case "partition" -> partition = p.getIntValue();
                case "of" -> of = p.getIntValue();
                case "key" -> {
                    expect(t, JsonToken.START_ARRAY, "an array of key columns");
                    while (p.nextToken() == JsonToken.VALUE_STRING) {
                        key.add(p.getText());
                    }
                }
                default -> p.skipChildren();
            }
        }
        return new TruncateSlice(partition, of, key);
    }

    private static Map<String, String> readColumns(JsonParser p, JsonToken start) throws IOException {
        expect(start, JsonToken.START_OBJECT, "an object of columns");
        Map<String, String> columns = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            if (t == JsonToken.VALUE_NULL) {
                columns.put(name, null);
            }
            else if (t == JsonToken.VALUE_STRING) {
                columns.put(name, p.getText());
            }
            else if (t == JsonToken.START_OBJECT) {
                String marker = null;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    marker = p.currentName();
                    p.nextToken();
                }
                if ("unchanged".equals(marker)) {
                    columns.put(name, ChangeEvent.UNCHANGED);
                }
                else if ("from_source".equals(marker)) {
                    columns.put(name, ChangeEvent.FROM_SOURCE);
                }
                else {
                    throw new IllegalArgumentException("column \"" + name + "\" holds an object that is neither {\"unchanged\":true} nor {\"from_source\":true}");
                }
            }
            else {
                throw new IllegalArgumentException("column \"" + name + "\" holds " + t + "; a value is a string, null or a marker object");
            }
        }
        return columns;
    }

    private static String text(JsonParser p, JsonToken t, String field) throws IOException {
        if (t != JsonToken.VALUE_STRING) {
            throw new IllegalArgumentException("its field \"" + field + "\" holds " + t + ", not a string");
        }
        return p.getText();
    }

    private static void expect(JsonToken actual, JsonToken expected, String what) {
        if (actual != expected) {
            throw new IllegalArgumentException("expected " + what + " but found " + actual);
        }
    }
}
