package io.pgshift.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.pgshift.core.TableId;
import io.pgshift.core.change.ChangeEvent;
import io.pgshift.core.change.ChangeOp;

class ChangedRowsTest {

    private static final TableId T = new TableId("public", "t");
    private static final TableId KEYLESS = new TableId("public", "k");

    private static ChangeEvent change(TableId table, ChangeOp op, String... key) {
        Map<String, String> k = key.length == 0 ? Map.of() : key.length == 1 ? Map.of("id", key[0]) : Map.of("a", key[0], "b", key[1]);
        return new ChangeEvent(table, op, k, Map.of(), null, 0);
    }

    @Test
    void keysChangedAfterAMomentAreThoseRecordedAfterIt() {
        ChangedRows rows = new ChangedRows(100);
        rows.track(T, List.of("id"));
        rows.record(List.of(change(T, ChangeOp.UPDATE, "1"), change(T, ChangeOp.DELETE, "2")));
        long moment = rows.now();
        rows.record(List.of(change(T, ChangeOp.CREATE, "3"), change(T, ChangeOp.UPDATE, "1")));
        ChangedRows.Since since = rows.since(T, moment);
        assertThat(since.changed()).isTrue();
        assertThat(since.complete()).isTrue();
        assertThat(since.keys()).containsExactlyInAnyOrder(List.of("3"), List.of("1"));
        assertThat(rows.since(T, rows.now()).changed()).isFalse();

        rows.forget(T, moment);
        assertThat(rows.keptKeys(T)).isEqualTo(2);
        assertThat(rows.since(T, 0).keys()).containsExactlyInAnyOrder(List.of("3"), List.of("1"));
    }

    @Test
    void keysOfSeveralColumnsKeepTheTrackedOrder() {
        ChangedRows rows = new ChangedRows(100);
        rows.track(T, List.of("b", "a"));
        rows.record(List.of(change(T, ChangeOp.UPDATE, "x", "y")));
        assertThat(rows.since(T, 0).keys()).containsExactly(List.of("y", "x"));
    }

    @Test
    void tooManyKeysATruncateOrAKeyNotCarriedMakeTheKeysIncompleteUntilForgotten() {
        ChangedRows rows = new ChangedRows(2);
        rows.track(T, List.of("id"));
        rows.record(List.of(change(T, ChangeOp.UPDATE, "1"), change(T, ChangeOp.UPDATE, "2"), change(T, ChangeOp.UPDATE, "1")));
        assertThat(rows.since(T, 0).complete()).isTrue();
        rows.record(List.of(change(T, ChangeOp.UPDATE, "3")));
        assertThat(rows.since(T, 0).complete()).isFalse();
        assertThat(rows.keptKeys(T)).isEqualTo(Integer.MAX_VALUE);

        rows.forget(T, rows.now());
        assertThat(rows.since(T, rows.now()).complete()).as("forgetting does not make them complete").isFalse();
        rows.resume(T);
        long after = rows.now();
        rows.record(List.of(change(T, ChangeOp.UPDATE, "4")));
        assertThat(rows.since(T, after).complete()).isTrue();
        assertThat(rows.since(T, after).keys()).containsExactly(List.of("4"));
        assertThat(rows.since(T, after - 1).complete()).as("before the keys were complete again").isFalse();

        rows.record(List.of(change(T, ChangeOp.TRUNCATE)));
        assertThat(rows.since(T, after).complete()).isFalse();
        rows.resume(T);
        long later = rows.now();
        rows.record(List.of(new ChangeEvent(T, ChangeOp.UPDATE, Map.of("id", ChangeEvent.FROM_SOURCE), Map.of(), null, 0)));
        assertThat(rows.since(T, later).complete()).isFalse();
    }

    @Test
    void aPassThatBeginsAfterResumeFindsTheKeysCompleteAfterItsMoment() {
        ChangedRows rows = new ChangedRows(2);
        rows.track(T, List.of("id"));
        rows.record(List.of(change(T, ChangeOp.UPDATE, "1"), change(T, ChangeOp.UPDATE, "2"), change(T, ChangeOp.UPDATE, "3")));
        long before = rows.now();
        assertThat(rows.since(T, before).complete()).isFalse();
        rows.resume(T); // a pass begins: then it notes its moment
        long pass = rows.now();
        rows.record(List.of(change(T, ChangeOp.UPDATE, "4"), change(T, ChangeOp.CREATE, "9")));
        rows.forget(T, pass);
        assertThat(rows.since(T, pass).keys()).containsExactlyInAnyOrder(List.of("4"), List.of("9"));
        assertThat(rows.since(T, pass).complete()).as("complete after the pass's moment, so no pass again for ever").isTrue();
    }

    @Test
    void aTableWithoutKeyOrUntrackedOnlySaysWhetherItChanged() {
        ChangedRows rows = new ChangedRows(10);
        rows.track(KEYLESS, List.of());
        long moment = rows.now();
        assertThat(rows.since(KEYLESS, moment).changed()).isFalse();
        rows.record(List.of(change(KEYLESS, ChangeOp.CREATE), change(T, ChangeOp.CREATE, "1")));
        assertThat(rows.since(KEYLESS, moment).changed()).isTrue();
        assertThat(rows.since(KEYLESS, moment).complete()).isFalse();
        assertThat(rows.since(T, moment).changed()).isTrue();
        assertThat(rows.since(T, moment).complete()).isFalse();
    }
}
