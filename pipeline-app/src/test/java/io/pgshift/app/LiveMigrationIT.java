package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.app.pipeline.PipelineOptions;
import io.pgshift.core.TableId;
import io.pgshift.core.validation.TableComparison;
import io.pgshift.sink.ApplierStats;
import io.pgshift.source.LoadPlan;
import io.pgshift.testkit.TestServers;

/** A live 100k-row table and a related table migrate through Kafka while a writer changes both. */
class LiveMigrationIT {

    @Test
    void tablesChangedDuringAndAfterTheSnapshotArriveEqual() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("live");
        try (Connection c = servers.source().connect(db); java.sql.Statement st = c.createStatement()) {
            Ledger.create(c, 100_000);
            // Differs from "accounts" only by case, and is excluded: it must not be captured (Debezium's filters ignore case).
            st.execute("CREATE TABLE \"Accounts\" (id int PRIMARY KEY, note text)");
            st.execute("INSERT INTO \"Accounts\" SELECT g, 'not migrated' FROM generate_series(1, 100) g");
        }
        String yaml = TestMigrations.yaml(servers, "live_" + db.replaceAll("[^a-z0-9]", ""), db, servers.newFolder("live"))
                .replace("tables: { include: [\"public.*\"] }", "tables: { include: [\"public.*\"], exclude: [\"public.Accounts\"] }");
        MigrationConfig config = new io.pgshift.app.config.MigrationConfigLoader(System::getenv).parse(yaml, "live");

        Ledger writer = Ledger.start(servers.source().endpoint("source"), db);
        try (Pipeline pipeline = Pipeline.start(config)) {
            pipeline.awaitCaughtUp(Duration.ofMinutes(5));
            long afterSnapshot = writer.transactions();
            ApplierStats stats = pipeline.lanes().get(0).stats();
            assertThat(stats.table(new TableId("public", "accounts")).snapshotRows()).isGreaterThanOrEqualTo(100_000);

            await("writes after the snapshot").atMost(Duration.ofMinutes(1)).until(() -> writer.transactions() > afterSnapshot + 300);
            writer.stop();
            assertThat(writer.failure()).as("writer failure").isNull();
            pipeline.awaitCaughtUp(Duration.ofMinutes(2));

            ApplierStats.TableStats accounts = stats.table(new TableId("public", "accounts"));
            ApplierStats.TableStats entries = stats.table(new TableId("public", "entries"));
            assertThat(accounts.inserts()).as("streamed inserts").isPositive();
            assertThat(accounts.updates()).as("streamed updates").isPositive();
            assertThat(accounts.deletes()).as("streamed deletes").isPositive();
            assertThat(entries.inserts() + entries.updates() + entries.deletes()).as("streamed changes of the related table").isPositive();
        }
        finally {
            writer.stop();
        }
        try (Connection s = servers.source().connect(db); Connection t = servers.target().connect(db)) {
            TableComparison comparison = io.pgshift.core.validation.TableComparator.compare(s, t, config.tables());
            assertThat(comparison.entries()).hasSize(2);
            assertThat(comparison.mismatches()).as("%s", comparison).isEmpty();
            try (java.sql.Statement st = t.createStatement(); java.sql.ResultSet rs = st.executeQuery("SELECT to_regclass('\"Accounts\"')")) {
                rs.next();
                assertThat(rs.getString(1)).as("the excluded table on the target").isNull();
            }
        }
    }

    @Test
    void aPipelineStoppedWhileItStartsReleasesItsSlotAndTheNextRunCompletes() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("quickstop");
        try (Connection c = servers.source().connect(db); java.sql.Statement st = c.createStatement()) {
            st.execute("CREATE TABLE items (id int PRIMARY KEY, note text)");
            st.execute("INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 20000) g");
        }
        MigrationConfig config = TestMigrations.config(servers, "qs_" + db.replaceAll("[^a-z0-9]", ""), db, servers.newFolder("quickstop"));
        String slot = config.names().slotName(db);
        // Stopped at once, and a little later: Debezium refuses to stop while its task starts, which must not leave the slot in use.
        for (int delayMs : new int[]{ 0, 30, 120 }) {
            try (Pipeline pipeline = Pipeline.start(config)) {
                Thread.sleep(delayMs);
            }
            await("slot " + slot + " released after a stop " + delayMs + " ms after the start").atMost(Duration.ofSeconds(15)).until(() -> {
                try (Connection c = servers.source().connect(db); java.sql.PreparedStatement ps = c.prepareStatement(
                        "SELECT count(*) FROM pg_replication_slots WHERE slot_name = ? AND active")) {
                    ps.setString(1, slot);
                    try (java.sql.ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        return rs.getInt(1) == 0;
                    }
                }
            });
        }
        try (Pipeline pipeline = Pipeline.start(config)) {
            pipeline.awaitCaughtUp(Duration.ofMinutes(2));
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    @Test
    void aLoadThatDoesNotStreamLeavesItsSlotToTheNextRunWhichStreamsEveryChangeMadeSince() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("nostream");
        try (Connection c = servers.source().connect(db)) {
            Ledger.create(c, 50_000);
        }
        MigrationConfig config = TestMigrations.config(servers, "ns_" + db.replaceAll("[^a-z0-9]", ""), db, servers.newFolder("nostream"));
        Ledger writer = Ledger.start(servers.source().endpoint("source"), db);
        try {
            try (Pipeline pipeline = Pipeline.start(config, new PipelineOptions(true, true, true, false))) {
                pipeline.loaded().get(5, java.util.concurrent.TimeUnit.MINUTES);
                assertThat(pipeline.lanes().get(0).capture().publishedRecords()).as("changes captured by a pipeline that does not stream").isZero();
                assertThatThrownBy(() -> pipeline.awaitCaughtUp(Duration.ofSeconds(10))).hasMessageContaining("does not stream");
            }
            long stopped = writer.transactions();
            await("writes while nothing streams").atMost(Duration.ofMinutes(1)).until(() -> writer.transactions() > stopped + 200);
            try (Pipeline pipeline = Pipeline.start(config)) {
                assertThat(pipeline.lanes().get(0).capture().loadPlan()).as("the load in Kafka is kept").isEqualTo(LoadPlan.RESUME);
                writer.stop();
                assertThat(writer.failure()).as("writer failure").isNull();
                pipeline.awaitCaughtUp(Duration.ofMinutes(2));
                assertThat(pipeline.lanes().get(0).stats().table(new TableId("public", "accounts")).updates()).as("streamed updates").isPositive();
            }
        }
        finally {
            writer.stop();
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }
}
