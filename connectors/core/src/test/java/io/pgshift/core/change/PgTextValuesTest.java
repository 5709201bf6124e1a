package io.pgshift.core.change;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.junit.jupiter.api.Test;


class PgTextValuesTest {

    private static Schema named(Schema.Type type, String name) {
        return new SchemaBuilder(type).name(name).build();
    }

    @Test
    void datesAndTimestampsWithMicroseconds() {
        assertThat(PgTextValues.render(named(Schema.Type.INT32, "io.debezium.time.Date"), 0)).isEqualTo("1970-01-01");
        assertThat(PgTextValues.dateText(java.time.LocalDate.of(2000, 2, 29).toEpochDay())).isEqualTo("2000-02-29");
        assertThat(PgTextValues.zonedTimestampText("+12345-01-01T00:00:00Z")).isEqualTo("12345-01-01 00:00:00.000000+00");
        assertThat(PgTextValues.render(named(Schema.Type.INT64, "io.debezium.time.MicroTimestamp"), 1_700_000_000_123_456L))
                .isEqualTo("2023-11-14 22:13:20.123456");
        assertThat(PgTextValues.timestampText(-1L)).isEqualTo("1969-12-31 23:59:59.999999");
        assertThat(PgTextValues.timeText(86_400_000_000L)).isEqualTo("24:00:00.000000");
    }

    @Test
    void floatsKeepEveryDigitAndSpecialValues() {
        assertThat(PgTextValues.render(Schema.FLOAT64_SCHEMA, 0.1 + 0.2)).isEqualTo("0.30000000000000004");
        assertThat(PgTextValues.render(Schema.FLOAT64_SCHEMA, Double.NaN)).isEqualTo("NaN");
        assertThat(PgTextValues.render(Schema.FLOAT32_SCHEMA, Float.NEGATIVE_INFINITY)).isEqualTo("-Infinity");
    }

    @Test
    void bytesBooleansArraysAndNulls() {
        assertThat(PgTextValues.render(Schema.BYTES_SCHEMA, new byte[]{ 0, (byte) 0xff })).isEqualTo("\\x00ff");
        assertThat(PgTextValues.render(Schema.BOOLEAN_SCHEMA, true)).isEqualTo("t");
        Schema textArray = SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build();
        assertThat(PgTextValues.render(textArray, Arrays.asList("a\"b", null, "c\\d", "NULL")))
                .isEqualTo("{\"a\\\"b\",NULL,\"c\\\\d\",\"NULL\"}");
        assertThat(PgTextValues.render(Schema.OPTIONAL_STRING_SCHEMA, null)).isNull();
    }

    @Test
    void theUnchangedToastPlaceholderIsRecognised() {
        String placeholder = ChangeEvent.UNCHANGED_TOAST_PLACEHOLDER;
        assertThat(ChangeEvent.isUnchanged(PgTextValues.render(Schema.STRING_SCHEMA, placeholder))).isTrue();
        assertThat(ChangeEvent.isUnchanged(PgTextValues.render(Schema.BYTES_SCHEMA, placeholder.getBytes(java.nio.charset.StandardCharsets.UTF_8)))).isTrue();
        assertThat(ChangeEvent.isUnchanged(PgTextValues.render(SchemaBuilder.array(Schema.STRING_SCHEMA).build(), List.of(placeholder)))).isTrue();
        assertThat(ChangeEvent.isUnchanged(PgTextValues.render(Schema.STRING_SCHEMA, "an ordinary value"))).isFalse();
    }

    @Test
    void debeziumsDefaultPlaceholderIsARealValue() {
        // A bytea (or text) may hold exactly these bytes; the capture uses a placeholder no value can be.
        assertThat(ChangeEvent.isUnchanged(PgTextValues.render(Schema.BYTES_SCHEMA, "__debezium_unavailable_value".getBytes()))).isFalse();
    }

    @Test
    void valuesDebeziumDoesNotCarryExactlyAreReadFromTheSource() {
        // JsonConverter turns NaN and the infinities into 0 and drops the sign of -0.
        assertThat(ChangeEvent.isFromSource(PgTextValues.doubleText(0.0))).isTrue();
        assertThat(ChangeEvent.isFromSource(PgTextValues.floatText(-0.0f))).isTrue();
        // Straight from Debezium (pgshift's own capture) a zero is a zero, with its sign: no source read, so keyless tables work.
        assertThat(PgTextValues.render(Schema.FLOAT64_SCHEMA, -0.0d, true)).isEqualTo("-0");
        assertThat(PgTextValues.render(Schema.FLOAT32_SCHEMA, 0.0f, true)).isEqualTo("0");
        assertThat(PgTextValues.render(SchemaBuilder.array(Schema.FLOAT64_SCHEMA).build(), List.of(0.0d, 1.5d), true)).isEqualTo("{\"0\",\"1.5\"}");
        assertThat(PgTextValues.doubleText(4.9e-324)).isEqualTo("4.9E-324");
        // Before the Gregorian calendar the snapshot's java.sql types shift days and drop the era.
        assertThat(ChangeEvent.isFromSource(PgTextValues.dateText(java.time.LocalDate.of(44, 3, 15).toEpochDay()))).isTrue();
        assertThat(PgTextValues.dateText(PgTextValues.DATE_POSITIVE_INFINITY)).isEqualTo("infinity");
        assertThat(PgTextValues.timestampText(PgTextValues.TIMESTAMP_NEGATIVE_INFINITY)).isEqualTo("-infinity");
        assertThat(PgTextValues.zonedTimestampText("2000-02-28T23:32:03.000004Z")).isEqualTo("2000-02-28 23:32:03.000004+00");
        // varbit: the value's own length is not carried
        assertThat(ChangeEvent.isFromSource(PgTextValues.bitsText(new byte[]{ 1 }, "2147483647"))).isTrue();
    }

    @Test
    void datesTimestampsAndTimesMatchPostgresOutputFormatOverTheirWholeRange() {
        // The renderers write digits themselves (String.format was too slow on the change path); this oracle is the format they replaced.
        java.util.SplittableRandom random = new java.util.SplittableRandom(20261124);
        long minDay = java.time.LocalDate.of(1583, 1, 1).toEpochDay();
        long maxDay = java.time.LocalDate.of(199_999, 12, 31).toEpochDay();
        for (int i = 0; i < 20_000; i++) {
            long day = i < 10 ? minDay + i : random.nextLong(minDay, maxDay + 1);
            java.time.LocalDate d = java.time.LocalDate.ofEpochDay(day);
            String date = String.format("%04d-%02d-%02d", d.getYear(), d.getMonthValue(), d.getDayOfMonth());
            assertThat(PgTextValues.dateText(day)).isEqualTo(date);

            long micros = random.nextLong(86_400_000_001L);
            String time = String.format("%02d:%02d:%02d.%06d", micros / 3_600_000_000L, (micros / 60_000_000L) % 60, (micros / 1_000_000L) % 60,
                    micros % 1_000_000L);
            assertThat(PgTextValues.timeText(micros)).isEqualTo(time);
            if (micros < 86_400_000_000L) {
                assertThat(PgTextValues.timestampText(Math.addExact(Math.multiplyExact(day, 86_400_000_000L), micros))).isEqualTo(date + " " + time);
                java.time.Instant instant = java.time.Instant.ofEpochSecond(day * 86_400L + micros / 1_000_000L, (micros % 1_000_000L) * 1000L);
                assertThat(PgTextValues.zonedTimestampText(instant.toString())).isEqualTo(date + " " + time + "+00");
            }
        }
        assertThat(PgTextValues.zonedTimestampText("2020-06-01T10:00:00.5+05:30")).isEqualTo("2020-06-01 10:00:00.500000+05:30");
        assertThat(PgTextValues.timeText(0)).isEqualTo("00:00:00.000000");
    }

    @Test
    void bitsAreReadLittleEndian() {
        assertThat(PgTextValues.bitsText(new byte[]{ 0b0000_0101 }, "3")).isEqualTo("101");
        assertThat(PgTextValues.bitsText(new byte[]{ 0x01, 0x01 }, "10")).isEqualTo("0100000001");
    }
}
