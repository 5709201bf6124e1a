package io.pgshift.core.change;

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


/**
 * Turns a value of a Debezium record into the text PostgreSQL's input function for the column reads
 * back as the same value. The target parses the text itself (parameters are sent untyped), so what is
 * written is the column's own type, never an approximation chosen here.
 */
public final class PgTextValues {

    /** The capture's placeholder for a TOASTed column that an UPDATE left unchanged. */
    static final String UNAVAILABLE = ChangeEvent.UNCHANGED_TOAST_PLACEHOLDER;
    private static final byte[] UNAVAILABLE_BYTES = UNAVAILABLE.getBytes(StandardCharsets.UTF_8);

    private PgTextValues() {
    }

    /**
     * The text form of a value that may have passed through Kafka's JsonConverter; {@code null} for SQL NULL;
     * {@link ChangeEvent#UNCHANGED} for Debezium's placeholder; a float zero is {@link ChangeEvent#FROM_SOURCE} ({@link #floatText}).
     */
    public static String render(Schema schema, Object value) {
        return render(schema, value, false);
    }

    /**
     * @param floatsExact whether float values come straight from Debezium (pgshift's own capture), so that a zero is a zero; through
     *                    Kafka's JsonConverter a zero may stand for NaN, an infinity or -0, and is read from the source instead
     */
    public static String render(Schema schema, Object value, boolean floatsExact) {
        if (value == null) {
            return null;
        }
        if (isUnavailable(value)) {
            return ChangeEvent.UNCHANGED;
        }
        String name = schema.name();
        if (DebeziumTypes.FROM_SOURCE_SCHEMA.equals(name)) {
            return ChangeEvent.FROM_SOURCE;
        }
        if (name != null) {
            String logical = renderLogical(name, schema, value, floatsExact);
            if (logical != null) {
                return logical;
            }
        }
        return switch (schema.type()) {
            case INT8, INT16, INT32, INT64, STRING -> value.toString();
            case FLOAT32 -> floatsExact && ((Number) value).floatValue() == 0.0f ? zeroText(((Number) value).doubleValue())
                    : floatText(((Number) value).floatValue());
            case FLOAT64 -> floatsExact && ((Number) value).doubleValue() == 0.0d ? zeroText(((Number) value).doubleValue())
                    : doubleText(((Number) value).doubleValue());
            case BOOLEAN -> ((Boolean) value) ? "t" : "f";
            case BYTES -> "\\x" + HexFormat.of().formatHex(bytes(value));
            case ARRAY -> arrayText(schema.valueSchema(), (List<?>) value, floatsExact);
            case MAP -> mapText((Map<?, ?>) value);
            case STRUCT -> structText((Struct) value);
        };
    }

    private static String renderLogical(String name, Schema schema, Object value, boolean floatsExact) {
        switch (name) {
            case "io.debezium.time.Date":
            case "org.apache.kafka.connect.data.Date":
                return dateText(value instanceof java.util.Date d ? Math.floorDiv(d.getTime(), 86_400_000L) : ((Number) value).longValue());
            case "io.debezium.time.Timestamp":
                return timestampText(Math.multiplyExact(((Number) value).longValue(), 1000L));
            case "org.apache.kafka.connect.data.Timestamp":
                return timestampText(Math.multiplyExact(((java.util.Date) value).getTime(), 1000L));
            case "io.debezium.time.MicroTimestamp":
                return timestampText(((Number) value).longValue());
            case "io.debezium.time.NanoTimestamp":
                return timestampText(Math.floorDiv(((Number) value).longValue(), 1000L));
            case "io.debezium.time.ZonedTimestamp":
                return zonedTimestampText(value.toString());
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
                String x = render(Schema.FLOAT64_SCHEMA, p.getFloat64("x"), floatsExact);
                String y = render(Schema.FLOAT64_SCHEMA, p.getFloat64("y"), floatsExact);
                return ChangeEvent.isFromSource(x) || ChangeEvent.isFromSource(y) ? ChangeEvent.FROM_SOURCE : "(" + x + "," + y + ")";
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

    /**
     * A float as PostgreSQL reads it back. Zero is read from the source instead: Kafka's JsonConverter turns
     * NaN and the infinities (which JSON lacks) into 0, and drops the sign of -0, so a 0 may stand for any of them.
     */
    static String floatText(float f) {
        if (f == 0.0f) {
            return ChangeEvent.FROM_SOURCE;
        }
        if (Float.isNaN(f)) {
            return "NaN";
        }
        if (Float.isInfinite(f)) {
            return f > 0 ? "Infinity" : "-Infinity";
        }
        return Float.toString(f);
    }

    /** A float zero, with its sign: {@code 0} or {@code -0}. */
    static String zeroText(double zero) {
        return Double.doubleToRawLongBits(zero) < 0 ? "-0" : "0";
    }

    /** A double as PostgreSQL reads it back; zero is read from the source (see {@link #floatText}). */
    static String doubleText(double d) {
        if (d == 0.0d) {
            return ChangeEvent.FROM_SOURCE;
        }
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return Double.toString(d);
    }

    /** Debezium's stand-ins for date 'infinity' and '-infinity' (PostgresValueConverter), outside PostgreSQL's date range. */
    static final long DATE_POSITIVE_INFINITY = LocalDate.parse("-5877611-06-21").toEpochDay();
    static final long DATE_NEGATIVE_INFINITY = LocalDate.parse("-5877611-06-22").toEpochDay();
    /** Debezium's stand-ins for timestamp 'infinity' and '-infinity': PgJDBC's infinity milliseconds read as microseconds. */
    static final long TIMESTAMP_POSITIVE_INFINITY = 9223372036825200000L;
    static final long TIMESTAMP_NEGATIVE_INFINITY = -9223372036832400000L;
    /**
     * Dates before the Gregorian calendar are read from the source: the snapshot reads them through
     * java.sql.Date and Timestamp, which switch to the Julian calendar before 1582-10-15 and drop the era.
     */
    private static final long MIN_DATE_DAY = LocalDate.of(1583, 1, 1).toEpochDay();
    private static final long MAX_DATE_DAY = LocalDate.of(5874897, 12, 31).toEpochDay();
    /**
     * Timestamps beyond these (microseconds since 1970) are read from the source: Debezium's infinity
     * stand-ins sit in year 294247, and the last years PostgreSQL can store overflow its conversion.
     */
    private static final long MAX_TRUSTED_MICROS = LocalDateTime.of(200_000, 1, 1, 0, 0).toEpochSecond(ZoneOffset.UTC) * 1_000_000L;
    private static final long MIN_TRUSTED_MICROS = LocalDateTime.of(1583, 1, 1, 0, 0).toEpochSecond(ZoneOffset.UTC) * 1_000_000L;

    /** Days since 1970-01-01, written as PostgreSQL reads it, BC years included. */
    static String dateText(long epochDay) {
        if (epochDay == DATE_POSITIVE_INFINITY) {
            return "infinity";
        }
        if (epochDay == DATE_NEGATIVE_INFINITY) {
            return "-infinity";
        }
        if (epochDay < MIN_DATE_DAY || epochDay > MAX_DATE_DAY) {
            return ChangeEvent.FROM_SOURCE;
        }
        LocalDate d = LocalDate.ofEpochDay(epochDay);
        StringBuilder b = new StringBuilder(16);
        year(b, d.getYear());
        monthDay(b, d.getMonthValue(), d.getDayOfMonth());
        return era(b, d.getYear()).toString();
    }

    /** Microseconds since 1970-01-01 00:00 (no time zone). */
    static String timestampText(long micros) {
        if (micros == TIMESTAMP_POSITIVE_INFINITY) {
            return "infinity";
        }
        if (micros == TIMESTAMP_NEGATIVE_INFINITY) {
            return "-infinity";
        }
        if (micros > MAX_TRUSTED_MICROS || micros < MIN_TRUSTED_MICROS) {
            return ChangeEvent.FROM_SOURCE;
        }
        long seconds = Math.floorDiv(micros, 1_000_000L);
        int micro = (int) Math.floorMod(micros, 1_000_000L);
        LocalDateTime t = LocalDateTime.ofEpochSecond(seconds, micro * 1000, ZoneOffset.UTC);
        StringBuilder b = new StringBuilder(32);
        year(b, t.getYear());
        monthDay(b, t.getMonthValue(), t.getDayOfMonth());
        time(b.append(' '), t.getHour(), t.getMinute(), t.getSecond(), micro);
        return era(b, t.getYear()).toString();
    }

    /**
     * Debezium's ISO-8601 text of a timestamptz, in UTC ({@code 2020-01-01T10:00:00.5Z}, {@code -0043-03-15T...Z} for
     * 44 BC, {@code infinity}), as PostgreSQL reads it.
     */
    static String zonedTimestampText(String iso) {
        if ("infinity".equals(iso) || "-infinity".equals(iso)) {
            return iso;
        }
        java.time.OffsetDateTime t;
        try {
            t = java.time.OffsetDateTime.parse(iso);
        }
        catch (java.time.format.DateTimeParseException e) {
            return ChangeEvent.FROM_SOURCE;
        }
        if (t.getYear() < 1583 || t.getYear() >= 200_000) {
            return ChangeEvent.FROM_SOURCE; // see MIN_DATE_DAY and MAX_TRUSTED_MICROS
        }
        StringBuilder b = new StringBuilder(40);
        year(b, t.getYear());
        monthDay(b, t.getMonthValue(), t.getDayOfMonth());
        time(b.append(' '), t.getHour(), t.getMinute(), t.getSecond(), t.getNano() / 1000);
        b.append(t.getOffset().getTotalSeconds() == 0 ? "+00" : t.getOffset().getId());
        return era(b, t.getYear()).toString();
    }

    // Written digit by digit rather than with String.format, which cost an eighth of the capture's publishing thread on a
    // table with a timestamp column (JFR); the tests pin the output.

    /** The year as PostgreSQL writes it: at least four digits, and year 1 - y for ISO year y <= 0 (followed by " BC", see {@link #era}). */
    private static void year(StringBuilder b, int isoYear) {
        pad(b, isoYear > 0 ? isoYear : 1L - isoYear, 4);
    }

    private static void monthDay(StringBuilder b, int month, int day) {
        pad(b.append('-'), month, 2);
        pad(b.append('-'), day, 2);
    }

    private static StringBuilder era(StringBuilder b, int isoYear) {
        return isoYear > 0 ? b : b.append(" BC");
    }

    /** {@code hh:mm:ss.uuuuuu}; hours may exceed 23 (time 24:00:00). */
    private static void time(StringBuilder b, long hours, long minutes, long seconds, long micros) {
        pad(b, hours, 2);
        pad(b.append(':'), minutes, 2);
        pad(b.append(':'), seconds, 2);
        pad(b.append('.'), micros, 6);
    }

    /** A non-negative number with leading zeros to {@code width} digits (more digits when it is larger). */
    private static void pad(StringBuilder b, long value, int width) {
        for (long limit = 10, i = 1; i < width; i++, limit *= 10) {
            if (value < limit) {
                b.append('0');
            }
        }
        b.append(value);
    }

    /** Microseconds since midnight; 24:00:00 is a valid PostgreSQL time. */
    static String timeText(long micros) {
        long h = micros / 3_600_000_000L;
        long m = (micros / 60_000_000L) % 60;
        long s = (micros / 1_000_000L) % 60;
        long us = micros % 1_000_000L;
        StringBuilder b = new StringBuilder(16);
        time(b, h, m, s, us);
        return b.toString();
    }

    /** Debezium's Bits: the bit string as a little-endian byte array of {@code length} bits. */
    static String bitsText(byte[] bytes, String length) {
        int n = length != null ? Integer.parseInt(length) : bytes.length * 8;
        if (n > bytes.length * 8 || n <= (bytes.length - 1) * 8) {
            return ChangeEvent.FROM_SOURCE; // varbit: the value's own length is not carried
        }
        StringBuilder b = new StringBuilder(n);
        for (int i = n - 1; i >= 0; i--) {
            int byteIndex = i / 8;
            int bit = byteIndex < bytes.length ? (bytes[byteIndex] >> (i % 8)) & 1 : 0;
            b.append(bit == 1 ? '1' : '0');
        }
        return b.toString();
    }

    private static String arrayText(Schema elementSchema, List<?> values, boolean floatsExact) {
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
                b.append(quoteArrayElement(render(elementSchema, v, floatsExact)));
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
