package io.pgshift.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.pgshift.core.Lsn;
import io.pgshift.core.TableId;
import io.pgshift.core.change.ChangeEvent;
import io.pgshift.core.change.ChangeOp;
import io.pgshift.core.change.SourcePosition;
import io.pgshift.testkit.TestServers;

/** The applier core against a real PostgreSQL 16 target: watermark, resume, replay detection, refusals. */
class ChangeApplierIT {

    private static final TableId ITEMS = new TableId("public", "Items");
    private static final PartitionRef P0 = new PartitionRef("pgshift.t.db.public.Items", 0);

    private static String createTarget() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("applier");
        try (Connection c = servers.target().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE \"Items\" (id int PRIMARY KEY, name text NOT NULL, qty int CHECK (qty >= 0), doubled int GENERATED ALWAYS AS (qty * 2) STORED)");
            st.execute("CREATE TABLE audit (id int, name text)");
            st.execute("CREATE FUNCTION log_items() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (NEW.id, NEW.name); RETURN NULL; END $$");
            st.execute("CREATE TRIGGER log AFTER INSERT OR UPDATE ON \"Items\" FOR EACH ROW EXECUTE FUNCTION log_items()");
            st.execute("ALTER TABLE \"Items\" ENABLE ALWAYS TRIGGER log");
            st.execute("CREATE TABLE guarded (id int PRIMARY KEY)");
            st.execute("CREATE FUNCTION never() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'fired'; END $$");
            st.execute("CREATE TRIGGER never BEFORE INSERT ON guarded FOR EACH ROW EXECUTE FUNCTION never()");
        }
        return db;
    }

    private static ChangeApplier applier(String db, ApplierStats stats) {
        return new ChangeApplier(TestServers.get().target().endpoint("target"), db, "test", stats, Clock.systemUTC());
    }

    private static SourceRecordRef change(long offset, ChangeOp op, int id, String name, Integer qty, long commit, long lsn) {
        Map<String, String> after = new LinkedHashMap<>();
        if (op.writesRow()) {
            after.put("id", Integer.toString(id));
            after.put("name", name);
            after.put("qty", qty == null ? null : qty.toString());
        }
        SourcePosition position = op == ChangeOp.READ ? SourcePosition.SNAPSHOT : new SourcePosition(Lsn.valueOf(commit), Lsn.valueOf(lsn));
        return new SourceRecordRef(P0, offset, new ChangeEvent(ITEMS, op, Map.of("id", Integer.toString(id)), after, position, 0));
    }

    @Test
    void changesReplayedByACaptureRestartAreAppliedOnceAndTheWatermarkResumes() throws Exception {
        String db = createTarget();
        ApplierStats stats = new ApplierStats();
        try (ChangeApplier a = applier(db, stats)) {
            assertThat(a.nextOffsets(List.of(P0))).isEmpty();
            a.apply(List.of(change(0, ChangeOp.READ, 1, "snap", 1, 0, 0),
                    change(1, ChangeOp.CREATE, 2, "two", 2, 100, 110),
                    change(2, ChangeOp.UPDATE, 2, "two'", 3, 100, 120)));
            // The capture restarted and wrote the last two changes again, then a new one.
            a.apply(List.of(change(3, ChangeOp.CREATE, 2, "two", 2, 100, 110),
                    change(4, ChangeOp.UPDATE, 2, "two'", 3, 100, 120),
                    change(5, ChangeOp.UPDATE, 2, "two''", 4, 200, 210)));
        }
        assertThat(stats.skippedReplays()).isEqualTo(2);
        assertThat(rows(db, "SELECT string_agg(id || ':' || name, ',' ORDER BY id, name) FROM \"Items\"")).isEqualTo("1:snap,2:two''");
        // The create and the update of key 2 in one batch are consecutive upserts: written once, with the later row.
        assertThat(rows(db, "SELECT count(*) FROM audit")).as("row writes that reached the target").isEqualTo("3");
        assertThat(rows(db, "SELECT doubled FROM \"Items\" WHERE id = 2")).as("generated column computed by the target").isEqualTo("8");

        try (ChangeApplier restarted = applier(db, new ApplierStats())) {
            assertThat(restarted.nextOffsets(List.of(P0))).containsEntry(P0, 6L);
            restarted.apply(List.of(change(6, ChangeOp.UPDATE, 2, "two''", 4, 200, 210), change(7, ChangeOp.DELETE, 1, null, null, 300, 310)));
            assertThat(restarted.stats().skippedReplays()).as("a replay is recognised after a restart too").isEqualTo(1);
        }
        assertThat(rows(db, "SELECT string_agg(id::text, ',') FROM \"Items\"")).isEqualTo("2");
        assertThat(rows(db, "SELECT next_offset || ' ' || source_lsn FROM pgshift.apply_progress")).isEqualTo("8 0/136");
    }

    @Test
    void aChangeTheTargetRefusesStopsWithTableKeyOffsetAndSqlStateAndKeepsNothingOfTheBatch() throws Exception {
        String db = createTarget();
        try (ChangeApplier a = applier(db, new ApplierStats())) {
            assertThatThrownBy(() -> a.apply(List.of(change(0, ChangeOp.CREATE, 1, "fine", 1, 10, 11),
                    change(1, ChangeOp.CREATE, 2, "negative", -5, 10, 12),
                    change(2, ChangeOp.CREATE, 3, "after", 1, 20, 21))))
                    .isInstanceOf(ApplyException.class)
                    .hasMessageContaining("public.Items")
                    .hasMessageContaining("{id=2}")
                    .hasMessageContaining("offset 1")
                    .hasMessageContaining("SQLState 23514")
                    .hasMessageContaining("restart pgshift");
            assertThat(rows(db, "SELECT count(*) FROM \"Items\"")).isEqualTo("0");
            assertThat(a.nextOffsets(List.of(P0))).as("the watermark did not move past the refused record").isEmpty();
        }
    }

    @Test
    void targetTriggersDoNotFireDuringApply() throws Exception {
        String db = createTarget();
        TableId guarded = new TableId("public", "guarded");
        try (ChangeApplier a = applier(db, new ApplierStats())) {
            a.apply(List.of(new SourceRecordRef(new PartitionRef("g", 0), 0,
                    new ChangeEvent(guarded, ChangeOp.CREATE, Map.of("id", "7"), Map.of("id", "7"), new SourcePosition(Lsn.valueOf(1), Lsn.valueOf(2)), 0))));
        }
        assertThat(rows(db, "SELECT count(*) FROM guarded")).isEqualTo("1");
    }

    @Test
    void aLostTargetConnectionIsReopenedAndTheBatchApplied() throws Exception {
        String db = createTarget();
        ApplierStats stats = new ApplierStats();
        try (ChangeApplier a = new ChangeApplier(TestServers.get().target().endpoint("target"), db, "pgshift-applier-lost", stats, Clock.systemUTC())) {
            a.apply(List.of(change(0, ChangeOp.CREATE, 1, "before", 1, 10, 11)));
            assertThat(rows(db, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pgshift-applier-lost'"))
                    .as("applier sessions ended").isEqualTo("1");
            a.apply(List.of(change(1, ChangeOp.CREATE, 2, "after", 2, 20, 21), change(2, ChangeOp.UPDATE, 1, "before'", 3, 30, 31)));
        }
        assertThat(rows(db, "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM \"Items\"")).isEqualTo("1:before',2:after");
        assertThat(rows(db, "SELECT next_offset FROM pgshift.apply_progress")).isEqualTo("3");
        assertThat(stats.applied()).isEqualTo(3);
    }

    /**
     * A source transaction renumbers every key of a table with a DEFERRABLE key in one statement (each row: delete old, insert new).
     * A batch that ends inside it leaves two rows with one key, as the source had until its commit: the applier's session
     * (session_replication_role = replica) does not fire the constraint's recheck trigger, so the batch commits, and the rest of the
     * transaction restores the key. The rows are matched on every old column, never on the key two rows share.
     */
    @Test
    void aBatchEndingInsideATransactionThatBreaksADeferrableKeyUntilItsCommitIsApplied() throws Exception {
        String db = TestServers.get().newDatabasePair("deferred");
        try (Connection c = TestServers.get().target().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE b (id int PRIMARY KEY DEFERRABLE INITIALLY IMMEDIATE, v text)");
            st.execute("INSERT INTO b VALUES (1, 'b1'), (2, 'b2')");
        }
        TableId b = new TableId("public", "b");
        PartitionRef p = new PartitionRef("pgshift.t.db.public.b", 0);
        List<SourceRecordRef> renumber = new java.util.ArrayList<>();
        String[][] steps = {{"d", "1", "b1"}, {"c", "2", "b1"}, {"d", "2", "b2"}, {"c", "3", "b2"}};
        for (int i = 0; i < steps.length; i++) {
            Map<String, String> row = new LinkedHashMap<>();
            row.put("id", steps[i][1]);
            row.put("v", steps[i][2]);
            boolean delete = steps[i][0].equals("d");
            renumber.add(new SourceRecordRef(p, i, new ChangeEvent(b, delete ? ChangeOp.DELETE : ChangeOp.CREATE, row, delete ? Map.of() : row,
                    new SourcePosition(Lsn.valueOf(100), Lsn.valueOf(110 + i)), 0)));
        }
        try (ChangeApplier a = applier(db, new ApplierStats())) {
            a.apply(renumber.subList(0, 2));
            assertThat(rows(db, "SELECT string_agg(id || ':' || v, ',' ORDER BY id, v) FROM b")).as("inside the transaction").isEqualTo("2:b1,2:b2");
            a.apply(renumber.subList(2, 4));
        }
        assertThat(rows(db, "SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM b")).isEqualTo("2:b1,3:b2");
        assertThat(rows(db, "SELECT next_offset FROM pgshift.apply_progress")).isEqualTo("4");
    }

    private static String rows(String db, String sql) throws Exception {
        try (Connection c = TestServers.get().target().connect(db); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
