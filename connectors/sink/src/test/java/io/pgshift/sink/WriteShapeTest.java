package io.pgshift.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.pgshift.core.TableId;
import io.pgshift.core.change.ChangeEvent;
import io.pgshift.core.change.DebeziumChangeParser;
import io.pgshift.core.change.ChangeOp;
import io.pgshift.core.change.SourcePosition;

class WriteShapeTest {

    private static TargetColumn column(String name, String type, boolean generated) {
        return new TargetColumn(name, type, type, 'b', false, generated, false);
    }

    private static TargetTable table(List<String> key) {
        Map<String, TargetColumn> columns = new LinkedHashMap<>();
        columns.put("Id", column("Id", "int4", false));
        columns.put("select", column("select", "json", false));
        columns.put("twice", column("twice", "int4", true));
        return new TargetTable(new TableId("public", "Mixed Case"), columns, key);
    }

    private static ChangeEvent event(ChangeOp op, Map<String, String> key, Map<String, String> after) {
        return new ChangeEvent(new TableId("public", "Mixed Case"), op, key, after, SourcePosition.SNAPSHOT, 0);
    }

    @Test
    void snapshotRowsAreCopiedAndGeneratedColumnsNeverWritten() {
        Map<String, String> after = new LinkedHashMap<>();
        after.put("Id", "1");
        after.put("select", "{}");
        after.put("twice", "2");
        WriteShape shape = WriteShape.of(table(List.of("Id")), event(ChangeOp.READ, Map.of("Id", "1"), after));
        assertThat(shape.kind()).isEqualTo(WriteShape.Kind.COPY);
        assertThat(shape.copySql()).isEqualTo("COPY \"public\".\"Mixed Case\" (\"Id\", \"select\") FROM STDIN");
        assertThat(shape.upsertSql(2)).isEqualTo("INSERT INTO \"public\".\"Mixed Case\" (\"Id\", \"select\") OVERRIDING SYSTEM VALUE VALUES (?, ?), (?, ?)"
                + " ON CONFLICT (\"Id\") DO UPDATE SET \"select\" = EXCLUDED.\"select\"");
        assertThat(shape.deleteSql(2)).isEqualTo("DELETE FROM ONLY \"public\".\"Mixed Case\" WHERE (\"Id\") IN ((?), (?))");
    }

    @Test
    void snapshotRowsAreCopiedEvenBeforeTheTargetHasItsKey() {
        // During the load the target has no primary key yet (post-data comes after the load).
        WriteShape shape = WriteShape.of(table(List.of()), event(ChangeOp.READ, Map.of("Id", "1"), Map.of("Id", "1", "select", "x")));
        assertThat(shape.kind()).isEqualTo(WriteShape.Kind.COPY);
    }

    @Test
    void anUpdateThatLeftAToastedValueUntouchedWritesOnlyTheOtherColumns() {
        Map<String, String> after = new LinkedHashMap<>();
        after.put("Id", "1");
        after.put("select", ChangeEvent.UNCHANGED);
        WriteShape shape = WriteShape.of(table(List.of("Id")), event(ChangeOp.UPDATE, Map.of("Id", "1"), after));
        assertThat(shape.kind()).isEqualTo(WriteShape.Kind.UPDATE);
        assertThat(shape.singleRowSql()).isEqualTo("UPDATE ONLY \"public\".\"Mixed Case\" SET \"Id\" = ? WHERE \"Id\" = ?");
    }

    @Test
    void aTableWithoutKeyMatchesOneRowOnEveryOldValueAsTheTargetPrintsIt() {
        Map<String, String> before = new LinkedHashMap<>();
        before.put("Id", "1");
        before.put("select", null);
        WriteShape shape = WriteShape.of(table(List.of()), event(ChangeOp.DELETE, before, Map.of()));
        assertThat(shape.kind()).isEqualTo(WriteShape.Kind.DELETE_MATCHING);
        assertThat(shape.singleRowSql()).startsWith("DELETE FROM ONLY \"public\".\"Mixed Case\" WHERE ctid = (SELECT m.ctid FROM ONLY \"public\".\"Mixed Case\" AS m WHERE")
                .contains("(m.\"select\")::text = (CAST(? AS json))::text").endsWith("LIMIT 1)");
    }

    /** A ctid names a row only within one partition: rows of a partitioned table are found by (tableoid, ctid), and without ONLY. */
    @Test
    void aPartitionedTableWithoutKeyFindsTheRowByTableoidAndCtid() {
        TargetTable plain = table(List.of());
        TargetTable partitioned = new TargetTable(plain.id(), plain.columns(), List.of(), true, false, false);
        Map<String, String> before = new LinkedHashMap<>();
        before.put("Id", "1");
        before.put("select", "{}");
        WriteShape shape = WriteShape.of(partitioned, event(ChangeOp.DELETE, before, Map.of()));
        assertThat(shape.singleRowSql()).startsWith("DELETE FROM \"public\".\"Mixed Case\" WHERE (tableoid, ctid) = (SELECT m.tableoid, m.ctid FROM"
                + " \"public\".\"Mixed Case\" AS m WHERE");
        assertThat(WriteShape.of(partitioned, event(ChangeOp.TRUNCATE, Map.of(), Map.of())).singleRowSql()).isEqualTo("TRUNCATE TABLE \"public\".\"Mixed Case\"");
    }

    /** A parent's change never reaches its inheritance children's rows: every statement that finds rows says ONLY. */
    @Test
    void aPlainTableIsChangedWithoutItsInheritanceChildren() {
        TargetTable parent = table(List.of("Id"));
        assertThat(WriteShape.of(parent, event(ChangeOp.TRUNCATE, Map.of(), Map.of())).singleRowSql()).isEqualTo("TRUNCATE TABLE ONLY \"public\".\"Mixed Case\"");
        assertThat(WriteShape.of(parent, event(ChangeOp.DELETE, Map.of("Id", "1"), Map.of())).singleRowSql())
                .isEqualTo("DELETE FROM ONLY \"public\".\"Mixed Case\" WHERE \"Id\" = ?");
    }

    @Test
    void copyFieldsEscapeSeparatorsAndBackslashes() {
        StringBuilder b = new StringBuilder();
        TableWrite.CopyRows.appendCopyField(b, "a\tb\nc\\d\r");
        assertThat(b).hasToString("a\\tb\\nc\\\\d\\r");
        b.setLength(0);
        TableWrite.CopyRows.appendCopyField(b, null);
        assertThat(b).hasToString("\\N");
    }

    @Test
    void debeziumsMangledNonAsciiNamesAreRebuilt() {
        String mangled = new String(new char[]{ 'G', 'r', (char) 0xFFC3, (char) 0xFFB6, (char) 0xFFC3, (char) 0xFF9F, 'e' });
        assertThat(DebeziumChangeParser.repairName(mangled)).isEqualTo("Größe");
        assertThat(DebeziumChangeParser.repairName("Größe")).isEqualTo("Größe");
    }

    @Test
    void onlyTypesDebeziumCarriesExactlyAreTakenFromTheRecord() {
        assertThat(DebeziumFidelity.carriesExactly(column("a", "numeric", false))).isTrue();
        assertThat(DebeziumFidelity.carriesExactly(column("a", "money", false))).isFalse();
        assertThat(DebeziumFidelity.carriesExactly(column("a", "timetz", false))).isFalse();
        assertThat(DebeziumFidelity.carriesExactly(new TargetColumn("a", "integer[]", "_int4", 'b', true, false, false))).isFalse();
        assertThat(DebeziumFidelity.carriesExactly(new TargetColumn("a", "mood", "mood", 'e', false, false, false))).isTrue();
        assertThat(DebeziumFidelity.carriesExactly(column("a", "date", false), true)).as("snapshot dates lose their era").isFalse();
        assertThat(DebeziumFidelity.carriesExactly(column("a", "date", false), false)).isTrue();
    }
}
