package io.pgshift.sink;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

import io.pgshift.core.change.ChangeEvent;

/**
 * Turns a value of a Debezium record into the text PostgreSQL's input function for the column reads
 * back as the same value. The target parses the text itself (parameters are sent untyped), so what is
 * written is the column's own type, never an approximation chosen here.
 */
final class PgTextValues {

    /** Debezium's placeholder for a TOASTed column that an UPDATE left unchanged. */
    static final String UNAVAILABLE = "__debezium_unavailable_value";
    private static final byte[] UNAVAILABLE_BYTES = UNAVAILABLE.getBytes(StandardCharsets.UTF_8);

    private PgTextValues() {
    }

    /** The text form; {@code null} for SQL NULL; {@link ChangeEvent#UNCHANGED} for Debezium's placeholder. */
    static String render(Schema schema, Object value) {
        if (value == null) {
            return null;
        }
        if (isUnavailable(value)) {
            return ChangeEvent.UNCHANGED;
        }
        String name = schema.name();
        if (name != null) {
            String logical = renderLogical(name, schema, value);
            if (logical != null) {
                return logical;
            }
        }
        return switch (schema.type()) {
            case INT8, INT16, INT32, INT64, STRING -> value.toString();
            case FLOAT32 -> floatText(((Number) value).floatValue());
            case FLOAT64 -> doubleText(((Number) value).doubleValue());
            case BOOLEAN -> ((Boolean) value) ? "t" : "f";
            case BYTES -> "\\x" + HexFormat.of().formatHex(bytes(value));
            case ARRAY -> arrayText(schema.valueSchema(), (List<?>) value);
            case MAP -> mapText((Map<?, ?>) value);
            case STRUCT -> structText((Struct) value);
        };
    }

    private static String renderLogical(String name, Schema schema, Object value) {
        switch (name) {
            case "io.debezium.time.Date":
            case "org.apache.kafka.connect.data.Date":
                return dateText(value instanceof java.util.Date d ? Math.floorDiv(d.getTime(), 86_400_000L) : ((Number) value).longValue());
            case "io.debezium.time.Timestamp":
                return timestampText(((Number) value).longValue() * 1000L);
            case "org.apache.kafka.connect.data.Timestamp":
                return timestampText(((java.util.Date) value).getTime() * 1000L);
            case "io.debezium.time.MicroTimestamp":
                return timestampText(((Number) value).longValue());
            case "io.debezium.time.NanoTimestamp":
                return timestampText(Math.floorDiv(((Number) value).longValue(), 1000L));
            case "io.debezium.time.Time":
                return timeText(((Number) value).longValue() * 1000L);
            case "org.apache.kafka.connect.data.Time":
                return timeText(((java.util.Date) value).getTime() * 1000L);
            case "io.debezium.time.MicroTime":
                return timeText(((Number) value).longValue());
            case "io.debezium.time.NanoTime":
                return timeText(((Number) value).longValue() / 1000L);
            case "io.debezium.data.Bits":
                return bitsText(bytes(value), schema.parameters() == null ? null : schema.parameters().get("length"));
            case "io.debezium.data.geometry.Point":
                Struct p = (Struct) value;
                return "(" + doubleText(p.getFloat64("x")) + "," + doubleText(p.getFloat64("y")) + ")";
            default:
                return null; // ZonedTimestamp, ZonedTime, Interval, Json, Uuid, Enum, Xml...: their string is PostgreSQL input already
        }
    }

    private static boolean isUnavailable(Object value) {
        if (value instanceof String s) {
            return UNAVAILABLE.equals(s);
        }
        if (value instanceof byte[] b) {
            return Arrays.equals(b, UNAVAILABLE_BYTES);
        }
        if (value instanceof java.nio.ByteBuffer bb) {
            return bb.remaining() == UNAVAILABLE_BYTES.length && Arrays.equals(bytes(bb), UNAVAILABLE_BYTES);
        }
        if (value instanceof List<?> list) {
            return list.size() == 1 && list.get(0) != null && isUnavailable(list.get(0));
        }
        return false;
    }

    private static byte[] bytes(Object value) {
        if (value instanceof byte[] b) {
            return b;
        }
        java.nio.ByteBuffer bb = ((java.nio.ByteBuffer) value).duplicate();
        byte[] b = new byte[bb.remaining()];
        bb.get(b);
        return b;
    }

    static String floatText(float f) {
        if (Float.isNaN(f)) {
            return "NaN";
        }
        if (Float.isInfinite(f)) {
            return f > 0 ? "Infinity" : "-Infinity";
        }
        return Float.toString(f);
    }

    static String doubleText(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return Double.toString(d);
    }

    /** Days since 1970-01-01, written as PostgreSQL reads it, BC years included. */
    static String dateText(long epochDay) {
        LocalDate d = LocalDate.ofEpochDay(epochDay);
        return withEra(d.getYear(), String.format("-%02d-%02d", d.getMonthValue(), d.getDayOfMonth()), "");
    }

    /** Microseconds since 1970-01-01 00:00 (no time zone). */
    static String timestampText(long micros) {
        long seconds = Math.floorDiv(micros, 1_000_000L);
        int micro = (int) Math.floorMod(micros, 1_000_000L);
        LocalDateTime t = LocalDateTime.ofEpochSecond(seconds, micro * 1000, ZoneOffset.UTC);
        String time = String.format(" %02d:%02d:%02d.%06d", t.getHour(), t.getMinute(), t.getSecond(), micro);
        return withEra(t.getYear(), String.format("-%02d-%02d", t.getMonthValue(), t.getDayOfMonth()) + time, "");
    }

    private static String withEra(int isoYear, String rest, String suffix) {
        if (isoYear > 0) {
            return String.format("%04d", isoYear) + rest + suffix;
        }
        return String.format("%04d", 1 - isoYear) + rest + suffix + " BC";
    }

    /** Microseconds since midnight; 24:00:00 is a valid PostgreSQL time. */
    static String timeText(long micros) {
        long h = micros / 3_600_000_000L;
        long m = (micros / 60_000_000L) % 60;
        long s = (micros / 1_000_000L) % 60;
        long us = micros % 1_000_000L;
        return String.format("%02d:%02d:%02d.%06d", h, m, s, us);
    }

    /** Debezium's Bits: the bit string as a little-endian byte array of {@code length} bits. */
    static String bitsText(byte[] bytes, String length) {
        int n = length != null ? Integer.parseInt(length) : bytes.length * 8;
        StringBuilder b = new StringBuilder(n);
        for (int i = n - 1; i >= 0; i--) {
            int byteIndex = i / 8;
            int bit = byteIndex < bytes.length ? (bytes[byteIndex] >> (i % 8)) & 1 : 0;
            b.append(bit == 1 ? '1' : '0');
        }
        return b.toString();
    }

    private static String arrayText(Schema elementSchema, List<?> values) {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            Object v = values.get(i);
            if (v == null) {
                b.append("NULL");
            }
            else {
                b.append(quoteArrayElement(render(elementSchema, v)));
            }
        }
        return b.append('}').toString();
    }

    private static String quoteArrayElement(String text) {
        StringBuilder b = new StringBuilder(text.length() + 2).append('"');
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.append('"').toString();
    }

    private static String mapText(Map<?, ?> map) {
        // hstore arrives as JSON text with hstore.handling.mode=json; a map only from other settings.
        StringBuilder b = new StringBuilder();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (b.length() > 0) {
                b.append(", ");
            }
            b.append(quoteArrayElement(String.valueOf(e.getKey()))).append("=>")
                    .append(e.getValue() == null ? "NULL" : quoteArrayElement(String.valueOf(e.getValue())));
        }
        return b.toString();
    }

    private static String structText(Struct struct) {
        throw new IllegalArgumentException("A value of structured type " + struct.schema().name() + " cannot be written yet");
    }
}
