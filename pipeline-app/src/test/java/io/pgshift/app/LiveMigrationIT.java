package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.core.TableId;
import io.pgshift.core.validation.TableComparison;
import io.pgshift.sink.ApplierStats;
import io.pgshift.testkit.TestServers;

/** A live 100k-row table and a related table migrate through Kafka while a writer changes both. */
class LiveMigrationIT {

    @Test
    void tablesChangedDuringAndAfterTheSnapshotArriveEqual() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("live");
        try (Connection c = servers.source().connect(db)) {
            Ledger.create(c, 100_000);
        }
        MigrationConfig config = TestMigrations.config(servers, "live_" + db.replaceAll("[^a-z0-9]", ""), db, servers.newFolder("live"));

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
        TableComparison comparison = TestMigrations.assertTargetEqualsSource(servers, db);
        assertThat(comparison.entries()).hasSize(2);
    }
}
