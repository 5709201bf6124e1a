package io.pgshift.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class AvroFieldNamesTest {

    @Test
    void adjustsAsDebeziumsAvroUnicodeFieldNamer() {
        // io.debezium.schema.FieldNameUnicodeReplacementFunction: [A-Za-z] first, [A-Za-z0-9] after, everything else _u + hex (at least 4
        // digits below 0x100, as many as it has above).
        assertThat(AvroFieldNames.adjust("plain")).isEqualTo("plain");
        assertThat(AvroFieldNames.adjust("customer_id")).isEqualTo("customer_u005fid");
        assertThat(AvroFieldNames.adjust("Größe")).isEqualTo("Gr_u00f6_u00dfe");
        assertThat(AvroFieldNames.adjust("user id")).isEqualTo("user_u0020id");
        assertThat(AvroFieldNames.adjust("1st")).isEqualTo("_u0031st");
        assertThat(AvroFieldNames.adjust("Ωmega")).isEqualTo("_u3a9mega");
        assertThat(AvroFieldNames.adjust("😀")).isEqualTo("_ud83d_ude00");
    }

    @Test
    void mapsEveryAdjustedFormBackToItsColumnAndFindsColumnsAdjustedAlike() {
        var reverse = AvroFieldNames.reverse(List.of("Größe", "user id", "plain"));
        assertThat(reverse).containsEntry("Gr_u00f6_u00dfe", "Größe").containsEntry("user_u0020id", "user id").doesNotContainKey("plain");
        // As Debezium's pgoutput decoder reads a streamed relation's non-ASCII name: each UTF-8 byte a sign-extended char.
        assertThat(reverse).containsEntry(AvroFieldNames.adjust(AvroFieldNames.asDecoded("Größe")), "Größe");
        // U+03A9 then 'a' and U+3A9A are both written _u3a9a.
        assertThat(AvroFieldNames.collisions(List.of("xΩa", "x㪚", "y"))).containsOnlyKeys("x_u3a9a");
        assertThat(AvroFieldNames.collisions(List.of("Größe", "Gr_u00f6_u00dfe"))).isEmpty();
    }
}
