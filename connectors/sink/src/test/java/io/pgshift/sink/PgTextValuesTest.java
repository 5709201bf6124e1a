package io.pgshift.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.junit.jupiter.api.Test;

import io.pgshift.core.change.ChangeEvent;

class PgTextValuesTest {

    private static Schema named(Schema.Type type, String name) {
        return new SchemaBuilder(type).name(name).build();
    }

    @Test
    void datesAndTimestampsIncludingBcAndMicroseconds() {
        assertThat(PgTextValues.render(named(Schema.Type.INT32, "io.debezium.time.Date"), 0)).isEqualTo("1970-01-01");
        assertThat(PgTextValues.dateText(java.time.LocalDate.of(-43, 3, 15).toEpochDay())).isEqualTo("0044-03-15 BC");
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
    void debeziumsUnchangedToastPlaceholderIsRecognised() {
        assertThat(ChangeEvent.isUnchanged(PgTextValues.render(Schema.STRING_SCHEMA, "__debezium_unavailable_value"))).isTrue();
        assertThat(ChangeEvent.isUnchanged(PgTextValues.render(Schema.BYTES_SCHEMA, "__debezium_unavailable_value".getBytes()))).isTrue();
        assertThat(ChangeEvent.isUnchanged(PgTextValues.render(SchemaBuilder.array(Schema.STRING_SCHEMA).build(),
                List.of("__debezium_unavailable_value")))).isTrue();
        assertThat(ChangeEvent.isUnchanged(PgTextValues.render(Schema.STRING_SCHEMA, "an ordinary value"))).isFalse();
    }

    @Test
    void bitsAreReadLittleEndian() {
        assertThat(PgTextValues.bitsText(new byte[]{ 0b0000_0101 }, "3")).isEqualTo("101");
        assertThat(PgTextValues.bitsText(new byte[]{ 0x01, 0x01 }, "10")).isEqualTo("0100000001");
    }
}
