package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.coordinator.ControlClient;
import io.pgshift.app.coordinator.Coordinator;
import io.pgshift.app.coordinator.CutoverReport;
import io.pgshift.app.coordinator.Phase;
import io.pgshift.app.pipeline.PipelineOptions;
import io.pgshift.core.SqlResource;
import io.pgshift.core.control.ControlCommand;
import io.pgshift.testkit.TestServers;

/** The cutover: under writes with a frozen source to COMPLETED, and a target changed behind pgshift's back to FAILED. */
class CutoverIT {

    private static final Duration READY = Duration.ofMinutes(3);

    @Test
    void frozenSourceUnderWritesCompletesAndTheTargetTakesNewRowsThroughEverySequence() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("cutover");
        TestMigrations.execute(servers.source(), db, SqlResource.load("/io/pgshift/app/cutover/shop.sql"));
        Path folder = servers.newFolder("cutover");
        String name = "cut_" + db.replaceAll("[^a-z0-9]", "");
        Path file = TestMigrations.configFile(folder, TestMigrations.yaml(servers, name, db, folder.resolve("work")));
        MigrationConfig config = MigrationConfigLoader.load(file);

        ShopWriter writer = new ShopWriter(servers.source().endpoint("source"), db).start("shop-writer");
        try (Coordinator coordinator = startReady(config)) {
            long before = writer.transactions();
            await("writes while streaming").atMost(Duration.ofMinutes(1)).until(() -> writer.transactions() > before + 200);

            TestMigrations.CliRun run = TestMigrations.cli("cutover", "-c", file.toString(), "--freeze-source", "--wait", "--timeout", "3m");
            assertThat(run.exitCode()).as("cutover exit code; out:\n%s\nerr:\n%s", run.out(), run.err()).isZero();
            assertThat(run.out()).contains("Cutover COMPLETED", "freeze", "catch-up", "sequences", "validation", "downtime (source frozen -> completed)",
                    "fence of " + db + " at LSN");
            assertThat(coordinator.status().phase()).isEqualTo(Phase.COMPLETED);
            CutoverReport report = coordinator.completion().join();
            assertThat(report.sourceFrozen).isTrue();
            assertThat(report.downtimeMs).isNotNull().isPositive();
            assertThat(report.tables).hasSize(5).allMatch(t -> t.equal());
            assertThat(report.sequences).extracting(e -> e.sequence()).contains("public.customers_id_seq", "public.products_id_seq",
                    "public.orders_id_seq", "public.order_items_id_seq", "public.payments_id_seq", "public.invoice_no_seq");
            assertThat(Path.of(report.file)).exists();
            assertThat(Files.readString(Path.of(report.file))).contains("\"result\" : \"COMPLETED\"");

            // The frozen source refuses the application's writes.
            writer.stop();
            assertThat(writer.failure()).as("writer failure").isNull();
            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                assertThatThrownBy(() -> st.executeUpdate("INSERT INTO customers (name) VALUES ('after the freeze')"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("read-only transaction");
            }
        }
        finally {
            writer.stop();
        }
        TestMigrations.assertTargetEqualsSource(servers, db);

        // The applications move to the target: the next insert through every serial and identity column, and the free-standing
        // sequence, finds no duplicate key.
        try (Connection t = servers.target().connect(db); Statement st = t.createStatement()) {
            long customer = insertReturningId(st, "INSERT INTO customers (name) VALUES ('first on the target') RETURNING id");
            int product = (int) insertReturningId(st, "INSERT INTO products (title, price) VALUES ('first on the target', 1) RETURNING id");
            long order = insertReturningId(st, "INSERT INTO orders (customer_id) VALUES (" + customer + ") RETURNING id");
            insertReturningId(st, "INSERT INTO order_items (order_id, product_id, quantity) VALUES (" + order + ", " + product + ", 1) RETURNING id");
            long invoice = insertReturningId(st, "INSERT INTO payments (order_id, amount) VALUES (" + order + ", 5) RETURNING invoice_no");
            try (Connection s = servers.source().connect(db); Statement ss = s.createStatement();
                 ResultSet rs = ss.executeQuery("SELECT max(invoice_no) FROM payments")) {
                rs.next();
                assertThat(invoice).as("next invoice number on the target").isGreaterThan(rs.getLong(1));
            }
        }

        // The same migration never streams into that target again; unfreeze and cleanup restore the source.
        assertThatThrownBy(() -> Coordinator.start(config, PipelineOptions.all())).hasMessageContaining("completed its cutover");
        assertThat(TestMigrations.cli("unfreeze", "-c", file.toString()).exitCode()).isZero();
        TestMigrations.execute(servers.source(), db, "INSERT INTO customers (name) VALUES ('after the unfreeze')");
        TestMigrations.CliRun cleanup = TestMigrations.cli("cleanup", "-c", file.toString());
        assertThat(cleanup.exitCode()).as(cleanup.err()).isZero();
        assertThat(cleanup.out()).contains("dropped replication slot");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + config.names().slotName(db) + "'")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        }
    }

    /**
     * Rows changed, deleted and added on the target behind pgshift's back: an online pass ('pgshift validate' runs one now) names table,
     * range and keys, and the cutover fails on them; repaired, set aside with abort, the next cutover completes.
     */
    @Test
    void targetRowsChangedBehindPgshiftsBackAreNamedByValidateAndFailTheCutover() throws Exception {
        TestServers servers = TestServers.get();
        Migration m = migrationWith(servers, "tamper", "validation: { chunkRows: 1000 }", "CREATE TABLE plain (id int PRIMARY KEY, note text)",
                "CREATE TABLE ledger (id bigserial PRIMARY KEY, amount numeric(12,2) NOT NULL)",
                "INSERT INTO plain SELECT g, 'row ' || g FROM generate_series(1, 1000) g",
                "INSERT INTO ledger (amount) SELECT g / 7.0 FROM generate_series(1, 20000) g");
        String db = m.db();
        MigrationConfig config = m.config();
        try (Coordinator coordinator = startReady(config)) {
            TestMigrations.execute(servers.target(), db, "UPDATE ledger SET amount = amount + 0.01 WHERE id = 1234", "DELETE FROM ledger WHERE id = 15000",
                    "INSERT INTO plain VALUES (5000, 'only on the target')");
            TestMigrations.CliRun validate = TestMigrations.cli("validate", "-c", m.file().toString());
            assertThat(validate.exitCode()).as("validate; out:\n%s\nerr:\n%s", validate.out(), validate.err()).isEqualTo(1);
            assertThat(validate.out()).contains("public.ledger", "public.plain", "DIFFERS", "(1234) values differ", "(15000) missing on the target",
                    "(5000) only on the target", "range (id) >= (");

            JsonNode report = cutover(config, false);
            assertThat(report.path("result").asText()).isEqualTo("FAILED");
            assertThat(report.path("reason").asText()).contains("validation failed", "2 of 2 tables differ", "public.ledger", "(1234) values differ",
                    "(15000) missing on the target", "public.plain", "(5000) only on the target");
            await("phase FAILED").atMost(Duration.ofSeconds(10)).until(() -> coordinator.status().phase() == Phase.FAILED);
            assertThat(coordinator.status().reason()).contains("public.ledger");
            assertThat(coordinator.completion()).isNotDone();

            // Repaired, set aside with abort, and cut over again: the chunks found differing are compared again, and now it completes.
            TestMigrations.execute(servers.target(), db, "UPDATE ledger SET amount = amount - 0.01 WHERE id = 1234", "INSERT INTO ledger (id, amount) VALUES (15000, 15000 / 7.0)",
                    "DELETE FROM plain WHERE id = 5000");
            send(config, ControlCommand.create(config.name(), ControlCommand.Type.ABORT, false, false, 60));
            await("phase after abort").atMost(Duration.ofSeconds(20)).until(() -> coordinator.status().phase() == Phase.READY_TO_CUTOVER);
            JsonNode second = cutover(config, false);
            assertThat(second.path("result").asText()).as(second.toString()).isEqualTo("COMPLETED");
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    /** With cutover.validation full, the cutover compares every chunk again: a row changed on the target after the online pass fails it. */
    @Test
    void fullValidationAtTheCutoverFindsATargetRowChangedAfterTheOnlinePass() throws Exception {
        TestServers servers = TestServers.get();
        Migration m = migrationWith(servers, "tamperfull", "validation: { chunkRows: 500 }\ncutover: { validation: full }",
                "CREATE TABLE ledger (id bigserial PRIMARY KEY, amount numeric(12,2) NOT NULL)",
                "INSERT INTO ledger (amount) SELECT g / 7.0 FROM generate_series(1, 5000) g");
        try (Coordinator coordinator = startReady(m.config())) {
            TestMigrations.CliRun validate = TestMigrations.cli("validate", "-c", m.file().toString());
            assertThat(validate.exitCode()).as(validate.out()).isZero();
            TestMigrations.execute(servers.target(), m.db(), "UPDATE ledger SET amount = 0 WHERE id = 4321");
            JsonNode report = cutover(m.config(), true);
            assertThat(report.path("result").asText()).isEqualTo("FAILED");
            assertThat(report.path("reason").asText()).contains("public.ledger", "(4321) values differ");
            assertThat(report.path("validation").path("mode").asText()).isEqualTo("full");
            assertThat(report.path("validation").path("cutoverChunks").asLong()).isEqualTo(10);
            send(m.config(), ControlCommand.create(m.config().name(), ControlCommand.Type.ABORT, false, false, 60));
            await("thawed").atMost(Duration.ofSeconds(20)).until(() -> coordinator.status().phase() == Phase.READY_TO_CUTOVER);
        }
        try (Connection c = servers.source().connect(m.db()); Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE ledger SET amount = amount WHERE id = 1"); // writable again after the abort
        }
    }

    @Test
    void aSequenceBehindItsColumnFailsTheCutoverNamingIt() throws Exception {
        TestServers servers = TestServers.get();
        Migration m = migration(servers, "seqgap", "CREATE TABLE tickets (id serial PRIMARY KEY, title text)",
                "INSERT INTO tickets (title) SELECT 'ticket ' || g FROM generate_series(1, 20) g",
                "INSERT INTO tickets (id, title) VALUES (5000, 'imported with its own id')");
        String db = m.db();
        MigrationConfig config = m.config();
        try (Coordinator coordinator = startReady(config)) {
            JsonNode report = cutover(config, false);
            assertThat(report.path("result").asText()).isEqualTo("FAILED");
            assertThat(report.path("reason").asText()).contains("sequence public.tickets_id_seq hands out 21 next, but public.tickets.id already holds 5000",
                    "SELECT setval('public.tickets_id_seq'");
            assertThat(report.path("tables").size()).as("no validation after a failed step").isZero();

            TestMigrations.execute(servers.source(), db, "SELECT setval('public.tickets_id_seq', (SELECT max(id) FROM tickets))");
            send(config, ControlCommand.create(config.name(), ControlCommand.Type.ABORT, false, false, 60));
            await("phase after abort").atMost(Duration.ofSeconds(20)).until(() -> coordinator.status().phase() == Phase.READY_TO_CUTOVER);
            assertThat(cutover(config, false).path("result").asText()).isEqualTo("COMPLETED");
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
        try (Connection t = servers.target().connect(db); Statement st = t.createStatement()) {
            assertThat(insertReturningId(st, "INSERT INTO tickets (title) VALUES ('first on the target') RETURNING id")).isEqualTo(5001);
        }
    }

    @Test
    void anAbortCancelsTheCutoverWaitingForTheCatchUpAndThawsTheSource() throws Exception {
        TestServers servers = TestServers.get();
        Migration m = migration(servers, "abort", "CREATE TABLE items (id int PRIMARY KEY, note text)",
                "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g");
        String db = m.db();
        MigrationConfig config = m.config();
        try (Coordinator coordinator = startReady(config);
             Connection blocker = servers.target().connect(db);
             ControlClient client = new ControlClient(config)) {
            // The applier cannot apply the next change while the target table is locked: the catch-up waits.
            blocker.setAutoCommit(false);
            try (Statement st = blocker.createStatement()) {
                st.execute("LOCK TABLE items IN ACCESS EXCLUSIVE MODE");
            }
            TestMigrations.execute(servers.source(), db, "UPDATE items SET note = 'waits for the lock' WHERE id <= 10");
            ControlCommand cutover = ControlCommand.create(config.name(), ControlCommand.Type.CUTOVER, true, false, 120);
            client.send(cutover);
            await("cutover waiting for the catch-up").atMost(Duration.ofSeconds(30)).until(() -> coordinator.status().cutover() != null
                    && "catch-up".equals(coordinator.status().cutover().step()));
            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                assertThatThrownBy(() -> st.executeUpdate("UPDATE items SET note = 'frozen?' WHERE id = 50")).hasMessageContaining("read-only transaction");
            }

            client.send(ControlCommand.create(config.name(), ControlCommand.Type.ABORT, false, false, 60));
            JsonNode report = client.await(r -> "report".equals(ControlClient.text(r, "type")) && cutover.id().equals(ControlClient.text(r, "commandId")),
                    r -> { }, Duration.ofSeconds(30)).orElseThrow(() -> new AssertionError("no report for " + cutover.id()));
            assertThat(report.path("result").asText()).isEqualTo("ABORTED");
            assertThat(report.path("notes").toString()).contains("were made writable again");
            TestMigrations.execute(servers.source(), db, "UPDATE items SET note = 'writable again' WHERE id = 50");

            blocker.rollback();
            coordinator.pipeline().awaitCaughtUp(Duration.ofMinutes(1));
            await("back to ready").atMost(Duration.ofSeconds(20)).until(() -> coordinator.status().phase() == Phase.READY_TO_CUTOVER);
            assertThat(coordinator.completion()).isNotDone();
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    /** A database pair and a migration of it (its YAML in {@code file}). */
    private record Migration(String db, MigrationConfig config, Path file) {
    }

    /** A new database pair whose source runs these statements first, and a migration of it named after the prefix. */
    private static Migration migration(TestServers servers, String prefix, String... sourceSql) throws Exception {
        return migrationWith(servers, prefix, "", sourceSql);
    }

    /** The same, with more YAML for the migration. */
    private static Migration migrationWith(TestServers servers, String prefix, String moreYaml, String... sourceSql) throws Exception {
        String db = servers.newDatabasePair(prefix);
        TestMigrations.execute(servers.source(), db, sourceSql);
        Path folder = servers.newFolder(prefix);
        Path file = TestMigrations.configFile(folder, TestMigrations.yaml(servers, prefix + "_" + db.replaceAll("[^a-z0-9]", ""), db,
                folder.resolve("work")) + moreYaml + "\n");
        return new Migration(db, MigrationConfigLoader.load(file), file);
    }



    /** Starts the migration's coordinator and waits until it is ready to cut over. */
    private static Coordinator startReady(MigrationConfig config) throws Exception {
        Coordinator coordinator = Coordinator.start(config, PipelineOptions.all());
        try {
            await("ready to cut over").atMost(READY).until(() -> coordinator.status().phase() == Phase.READY_TO_CUTOVER);
            return coordinator;
        }
        catch (RuntimeException | Error e) {
            coordinator.close();
            throw e;
        }
    }

    private static long insertReturningId(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void send(MigrationConfig config, ControlCommand command) throws InterruptedException {
        try (ControlClient client = new ControlClient(config)) {
            client.send(command);
        }
    }

    /** Sends a cutover and returns its report. */
    static JsonNode cutover(MigrationConfig config, boolean freeze) throws InterruptedException {
        return cutover(config, freeze, false);
    }

    /** Sends a cutover (with cleanup or not) and returns its report. */
    static JsonNode cutover(MigrationConfig config, boolean freeze, boolean cleanup) throws InterruptedException {
        try (ControlClient client = new ControlClient(config)) {
            ControlCommand command = ControlCommand.create(config.name(), ControlCommand.Type.CUTOVER, freeze, cleanup, 120);
            client.send(command);
            return client.await(r -> "report".equals(ControlClient.text(r, "type")) && command.id().equals(ControlClient.text(r, "commandId")),
                    r -> { }, Duration.ofMinutes(4)).orElseThrow(() -> new AssertionError("no report for " + command.id()));
        }
    }
}
