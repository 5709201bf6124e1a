package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.Test;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.coordinator.Coordinator;
import io.pgshift.app.coordinator.CutoverReport;
import io.pgshift.app.coordinator.Phase;
import io.pgshift.app.pipeline.PipelineOptions;
import io.pgshift.core.PgEndpoint;
import io.pgshift.testkit.SourceWriter;
import io.pgshift.testkit.TestServers;

/**
 * A table of more than 1 GB of row text (1.1 million rows of about 1 kB): PostgreSQL cannot build a string over 1 GB, which is what an
 * {@code md5(string_agg(...))} per table needed, so such a table could never be validated. In chunks it is validated online while a
 * writer changes it, and the cutover, with the source frozen, compares only the rows changed since: COMPLETED, every row validated.
 */
class LargeTableCutoverIT {

    private static final long ROWS = 1_100_000;

    @Test
    void aTableOverOneGigabyteOfTextCutsOverValidatedInChunks() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("large");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE big (id bigint PRIMARY KEY, payload text NOT NULL, touched int NOT NULL DEFAULT 0)");
            st.execute("ALTER TABLE big ALTER payload SET STORAGE EXTERNAL"); // stored as is: the text is over 1 GB on disk too
            st.execute("INSERT INTO big (id, payload) SELECT g, repeat(md5(g::text), 31) FROM generate_series(1, " + ROWS + ") g");
            st.execute("CREATE TABLE small (id int PRIMARY KEY, note text)");
            st.execute("INSERT INTO small SELECT g, 'note ' || g FROM generate_series(1, 1000) g");
            st.execute("ANALYZE");
            try (ResultSet rs = st.executeQuery("SELECT sum(length(b::text)) FROM big b")) {
                rs.next();
                assertThat(rs.getLong(1)).as("bytes of row text").isGreaterThan(1L << 30);
            }
        }
        Path folder = servers.newFolder("large");
        Path file = TestMigrations.configFile(folder, TestMigrations.yaml(servers, "lg_" + db.replaceAll("[^a-z0-9]", ""), db,
                folder.resolve("work")));
        MigrationConfig config = MigrationConfigLoader.load(file);

        BigWriter writer = new BigWriter(servers.source().endpoint("source"), db).start("big-writer");
        try (Coordinator coordinator = Coordinator.start(config, PipelineOptions.all())) {
            await("ready").atMost(Duration.ofMinutes(10)).until(() -> coordinator.status().phase() == Phase.READY_TO_CUTOVER);
            await("validated online").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1)).until(() -> coordinator.status().databases()
                    .get(0).tables().stream().filter(t -> t.table().equals("public.big")).allMatch(t -> t.validation() != null
                            && "equal".equals(t.validation().state())));
            long before = writer.transactions();
            await("writes after the online pass").atMost(Duration.ofMinutes(1)).until(() -> writer.transactions() > before + 100);

            TestMigrations.CliRun run = TestMigrations.cli("cutover", "-c", file.toString(), "--freeze-source", "--wait", "--timeout", "5m");
            assertThat(run.exitCode()).as("cutover; out:\n%s\nerr:\n%s", run.out(), run.err()).isZero();
            CutoverReport report = coordinator.completion().join();
            assertThat(report.result).isEqualTo("COMPLETED");
            assertThat(report.validation.mode()).isEqualTo("changed");
            assertThat(report.validation.onlineRows()).isGreaterThanOrEqualTo(ROWS);
            assertThat(report.validation.cutoverChangedRows()).isPositive();
            assertThat(report.tables).filteredOn(t -> t.table().equals("public.big")).singleElement().satisfies(t -> {
                assertThat(t.equal()).isTrue();
                assertThat(t.chunks()).isGreaterThanOrEqualTo(10);
                assertThat(t.onlineLsn()).isNotNull();
                assertThat(t.basis()).contains("online pass", "rows changed since compared by key at the cutover");
                assertThat(t.rowsComparedAtCutover()).isPositive();
            });
            writer.stop();
            assertThat(writer.failure()).as("writer failure").isNull();
        }
        finally {
            writer.stop();
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    /** Updates random rows of the big table and inserts new ones, all the time. */
    private static final class BigWriter extends SourceWriter {

        private PreparedStatement update;
        private PreparedStatement insert;

        BigWriter(PgEndpoint source, String database) {
            super(source, database, 5);
        }

        @Override
        protected void prepare(Connection c) throws SQLException {
            update = c.prepareStatement("UPDATE big SET touched = touched + 1, payload = md5(random()::text) || payload WHERE id = ?");
            insert = c.prepareStatement("INSERT INTO big (id, payload) VALUES (?, repeat('n', 900)) ON CONFLICT (id) DO NOTHING");
        }

        @Override
        protected void writeOne(ThreadLocalRandom r) throws SQLException {
            if (r.nextInt(10) == 0) {
                insert.setLong(1, ROWS + 1 + r.nextInt(1_000_000));
                insert.executeUpdate();
            }
            else {
                update.setLong(1, 1 + r.nextInt((int) ROWS));
                update.executeUpdate();
            }
        }

        @Override
        protected void release() throws SQLException {
            update.close();
            insert.close();
        }
    }
}
