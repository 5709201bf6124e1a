package io.pgshift.core.change;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.pgshift.core.Lsn;
import io.pgshift.core.TableId;

class ChangeRecordCodecTest {

    private static Map<String, String> row(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    @Test
    void anUpdateTravelsWithEveryKindOfValueInColumnOrder() {
        Map<String, String> after = row("id", "42", "note", "tab\there \"quoted\" \\ \u0001 ünï 😀", "gone", null, "big", ChangeEvent.UNCHANGED,
                "money", ChangeEvent.FROM_SOURCE, "empty", "");
        ChangeEvent e = new ChangeEvent(new TableId("Ünïcode Schema", "Größe"), ChangeOp.UPDATE, row("id", "42"), after,
                new SourcePosition(Lsn.valueOf(1000), Lsn.valueOf(1234)).secondStep(), 1_764_000_000_000L);

        ChangeEvent back = ChangeRecordCodec.decode(ChangeRecordCodec.value(e));

        assertThat(back).isEqualTo(e);
        assertThat(back.after().keySet()).containsExactly("id", "note", "gone", "big", "money", "empty");
        assertThat(ChangeEvent.isUnchanged(back.after().get("big"))).isTrue();
        assertThat(ChangeEvent.isFromSource(back.after().get("money"))).isTrue();
        assertThat(back.position().step()).isEqualTo(1);
        assertThat(new String(ChangeRecordCodec.key(e), StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"42\"}");
    }

    @Test
    void snapshotRowsDeletesAndKeylessChangesKeepTheirShape() {
        ChangeEvent read = new ChangeEvent(new TableId("public", "t"), ChangeOp.READ, row("a", "1", "b", "2"), row("a", "1", "b", "2", "c", null),
                SourcePosition.SNAPSHOT, 5L, true);
        ChangeEvent delete = new ChangeEvent(new TableId("public", "t"), ChangeOp.DELETE, row("a", "1", "b", "2"), Map.of(),
                new SourcePosition(Lsn.INVALID, Lsn.valueOf(77)), 6L);
        ChangeEvent truncate = new ChangeEvent(new TableId("public", "t"), ChangeOp.TRUNCATE, Map.of(), Map.of(),
                new SourcePosition(Lsn.valueOf(70), Lsn.valueOf(80)), 7L);

        for (ChangeEvent e : new ChangeEvent[]{ read, delete, truncate }) {
            assertThat(ChangeRecordCodec.decode(ChangeRecordCodec.value(e))).isEqualTo(e);
        }
        assertThat(ChangeRecordCodec.decode(ChangeRecordCodec.value(read)).position().isSnapshot()).isTrue();
        assertThat(ChangeRecordCodec.decode(ChangeRecordCodec.value(read)).endsTableLoad()).isTrue();
        assertThat(ChangeRecordCodec.key(truncate)).isNull();
    }

    @Test
    void aTruncateSliceTravelsAsAVersionAnOlderApplierRefuses() {
        ChangeEvent slice = new ChangeEvent(new TableId("public", "t"), ChangeOp.TRUNCATE, Map.of(), Map.of(),
                new SourcePosition(Lsn.valueOf(70), Lsn.valueOf(80)), 7L).withSlice(new TruncateSlice(2, 4, java.util.List.of("a", "B b")));

        byte[] bytes = ChangeRecordCodec.value(slice);

        assertThat(ChangeRecordCodec.decode(bytes)).isEqualTo(slice);
        assertThat(new String(bytes, StandardCharsets.UTF_8)).startsWith("{\"v\":2,");
        assertThatThrownBy(() -> new TruncateSlice(4, 4, java.util.List.of("a"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ChangeEvent(new TableId("public", "t"), ChangeOp.DELETE, Map.of("a", "1"), Map.of(), SourcePosition.SNAPSHOT, 0L,
                false, new TruncateSlice(0, 2, java.util.List.of("a")))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keysSpreadOverPartitionsAndKeepTheirPartition() {
        int[] counts = new int[4];
        for (int i = 0; i < 40_000; i++) {
            int p = KeyPartitioner.partition(java.util.List.of(Integer.toString(i)), 4);
            assertThat(KeyPartitioner.partition(java.util.List.of(Integer.toString(i)), 4)).isEqualTo(p);
            counts[p]++;
        }
        assertThat(java.util.Arrays.stream(counts).boxed().toList()).allSatisfy(n -> assertThat(n).isBetween(9_000, 11_000));
        assertThat(KeyPartitioner.partition(java.util.List.of("1", "2"), 1)).isZero();
        // By column names over a change's values (other columns ignored): the same partition as the key's texts in key order.
        Map<String, String> values = row("b", "-7", "note", "x", "a", "0f8fad5b-d9cb-469f-a165-70867728950e");
        for (int n : new int[] {2, 3, 16}) {
            assertThat(KeyPartitioner.partition(java.util.List.of("a", "b"), values, n))
                    .isEqualTo(KeyPartitioner.partition(java.util.List.of("0f8fad5b-d9cb-469f-a165-70867728950e", "-7"), n));
        }
        assertThatThrownBy(() -> KeyPartitioner.partition(java.util.List.of("a", "c"), values, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"c\" is missing");
        assertThatThrownBy(() -> KeyPartitioner.partition(java.util.List.of("1"), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(KeyPartitioner.partition(java.util.List.of("1", "2"), 7)).isBetween(0, 6);
        assertThat(KeyPartitioner.sqlCondition(java.util.List.of("a", "B b"), 2, 4))
                .isEqualTo("mod(('x' || left(md5(\"a\"::text || chr(31) || \"B b\"::text), 8))::bit(32)::bigint, 4) = 2");
    }

    @Test
    void fieldsAddedByALaterReleaseAreSkipped() {
        String json = "{\"v\":1,\"op\":\"c\",\"schema\":\"s\",\"table\":\"t\",\"future\":{\"x\":[1,2]},\"key\":{\"id\":\"1\"},"
                + "\"after\":{\"id\":\"1\"},\"lsn\":9,\"prev_commit_lsn\":8,\"commit_ts_ms\":3}";
        ChangeEvent e = ChangeRecordCodec.decode(json.getBytes(StandardCharsets.UTF_8));
        assertThat(e.op()).isEqualTo(ChangeOp.CREATE);
        assertThat(e.position()).isEqualTo(new SourcePosition(Lsn.valueOf(8), Lsn.valueOf(9)));
    }

    @Test
    void whatIsNotAChangeRecordIsNamed() {
        assertThatThrownBy(() -> ChangeRecordCodec.decode("{\"schema\":{\"type\":\"struct\"},\"payload\":{}}".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("field \"schema\" holds START_OBJECT");
        assertThatThrownBy(() -> ChangeRecordCodec.decode("{\"op\":\"c\",\"schema\":\"s\",\"table\":\"t\"}".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("format version -1");
        assertThatThrownBy(() -> ChangeRecordCodec.decode("{\"v\":4,\"op\":\"c\",\"schema\":\"s\",\"table\":\"t\"}".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("format version 4").hasMessageContaining("reads versions 1 to 3");
        assertThatThrownBy(() -> ChangeRecordCodec.decode("not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a pgshift change record");
        assertThatThrownBy(() -> ChangeRecordCodec.decode("{\"v\":1,\"op\":\"c\",\"schema\":\"s\",\"table\":\"t\",\"after\":{\"x\":1}}"
                .getBytes(StandardCharsets.UTF_8))).hasMessageContaining("column \"x\"");
    }

    @Test
    void debeziumSequencesGiveTheirPositions() {
        assertThat(DebeziumChangeParser.sequencePosition("[\"24023128\",\"24023184\"]"))
                .isEqualTo(new SourcePosition(Lsn.valueOf(24023128), Lsn.valueOf(24023184)));
        assertThat(DebeziumChangeParser.sequencePosition("[null,\"24023184\"]")).isEqualTo(new SourcePosition(Lsn.INVALID, Lsn.valueOf(24023184)));
        assertThat(DebeziumChangeParser.sequencePosition("[\"18446744073709551\", null]"))
                .isEqualTo(new SourcePosition(Lsn.valueOf(18446744073709551L), Lsn.INVALID));
    }

    @Test
    void aSchemaChangeTravelsAsVersion3WithItsCommandAndSearchPath() {
        ChangeEvent ddl = ChangeEvent.ddl(new io.pgshift.core.TableId("public", "orders"), 42, "ALTER TYPE s ADD VALUE 'x' BEFORE 'y'; SELECT 1", 1,
                "ALTER TYPE", "\"$user\", public", new SourcePosition(Lsn.valueOf(8), Lsn.valueOf(9)), 3);
        byte[] bytes = ChangeRecordCodec.value(ddl);
        assertThat(new String(bytes, StandardCharsets.UTF_8)).contains("\"v\":3", "\"op\":\"x\"");
        ChangeEvent back = ChangeRecordCodec.decode(bytes);
        assertThat(back.op()).isEqualTo(ChangeOp.DDL);
        assertThat(back.after()).containsEntry(ChangeEvent.DDL_ID, "42").containsEntry(ChangeEvent.DDL_COMMAND, "ALTER TYPE s ADD VALUE 'x' BEFORE 'y'; SELECT 1")
                .containsEntry(ChangeEvent.DDL_ORDINAL, "1").containsEntry(ChangeEvent.DDL_TAG, "ALTER TYPE")
                .containsEntry(ChangeEvent.DDL_SEARCH_PATH, "\"$user\", public");
        assertThat(back.position()).isEqualTo(ddl.position());
    }
}
