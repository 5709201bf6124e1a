package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.coordinator.Coordinator;
import io.pgshift.app.coordinator.MigrationStatus;
import io.pgshift.app.coordinator.Phase;
import io.pgshift.app.pipeline.PipelineOptions;
import io.pgshift.testkit.TestServers;

/**
 * A schema change pgshift does not carry, or that the target refuses, holds only the tables it touches (issue 20): under a writer of
 * two tables, a trigger created on one of them holds that table while the other streams on; the status and {@code pgshift ddl list}
 * name the statement, the table and the fix; the cutover refuses naming it; the operator runs it on the target and {@code pgshift ddl
 * apply}s it, and the table catches up. A carried change that the target refuses (it uses a function only the source has) holds its
 * table until the operator creates the function and {@code pgshift ddl retry}s it. Without DDL capture, a column added on the source
 * holds the table when its first change arrives (a schema difference) until the target has the column. Each run ends with a cutover
 * that completes and target == source.
 */
class SchemaChangeHoldIT {

    @Test
    void anUncarriedOrRefusedChangeHoldsOnlyItsTable() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("hold");
        createTables(servers, db);
        Path folder = servers.newFolder("hold");
        String name = "hold_" + db.replaceAll("[^a-z0-9]", "");
        Path file = TestMigrations.configFile(folder, TestMigrations.yaml(servers, name, db, folder.resolve("work")));
        MigrationConfig config = MigrationConfigLoader.load(file);
        Writer writer = new Writer(servers, db);
        try (Coordinator coordinator = Coordinator.start(config, PipelineOptions.all())) {
            await("ready").atMost(Duration.ofMinutes(3)).until(() -> coordinator.status().phase() == Phase.READY_TO_CUTOVER);
            writer.start();
            await("writes").atMost(Duration.ofMinutes(1)).until(() -> writer.written.get() > 50);

            // A trigger: pgshift carries neither the function (a change of no table: it holds only the cutover) nor the trigger (it holds orders).
            TestMigrations.execute(servers.source(), db, "CREATE FUNCTION orders_touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$",
                    "CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION orders_touch()");
            MigrationStatus.SchemaChange trigger = awaitHeld(coordinator, "CREATE TRIGGER");
            assertThat(trigger.tables()).containsExactly("\"public\".\"orders\"");
            assertThat(trigger.fix()).contains("pgshift ddl apply " + trigger.id(), "pgshift ddl skip " + trigger.id());
            MigrationStatus.SchemaChange function = awaitHeld(coordinator, "CREATE FUNCTION");
            assertThat(function.tables()).isEmpty();
            assertThat(tableStatus(coordinator, "orders").heldBy()).isEqualTo(trigger.id());
            assertThat(tableStatus(coordinator, "events").heldBy()).isNull();

            // orders waits; events streams on.
            long ordersHeldAt = targetMax(servers, db, "orders");
            long eventsAtHold = targetMax(servers, db, "events");
            await("events streams while orders is held").atMost(Duration.ofMinutes(1)).until(() -> targetMax(servers, db, "events") > eventsAtHold + 50);
            assertThat(targetMax(servers, db, "orders")).as("orders applied past its held schema change").isEqualTo(ordersHeldAt);
            assertThat(coordinator.status().phase()).isNotEqualTo(Phase.FAILED);

            TestMigrations.CliRun list = TestMigrations.cli("ddl", "list", "-c", file.toString());
            assertThat(list.exitCode()).as(list.err()).isZero();
            assertThat(list.out()).contains("CREATE TRIGGER orders_touch", "\"public\".\"orders\"", "pgshift ddl apply " + trigger.id(),
                    "CREATE FUNCTION orders_touch", "no table, only the cutover");
            TestMigrations.CliRun refused = TestMigrations.cli("cutover", "-c", file.toString(), "--wait", "--timeout", "1m");
            assertThat(refused.exitCode()).as("cutover while a schema change is held: %s", refused.out()).isNotZero();
            assertThat(refused.out() + refused.err()).contains("schema change " + trigger.id(), "CREATE TRIGGER", "\"public\".\"orders\"");
            assertThat(sourceWritable(servers, db)).as("the refused cutover froze nothing").isTrue();
            assertThat(coordinator.status().phase()).as("a refused cutover changed nothing: the migration goes on")
                    .isIn(Phase.READY_TO_CUTOVER, Phase.INCREMENTAL_SYNC);

            // The operator makes the target match and says so.
            TestMigrations.execute(servers.target(), db, "CREATE FUNCTION orders_touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$",
                    "CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION orders_touch()");
            assertThat(TestMigrations.cli("ddl", "apply", "-c", file.toString(), Long.toString(function.id())).exitCode()).isZero();
            TestMigrations.CliRun applied = TestMigrations.cli("ddl", "apply", "-c", file.toString(), Long.toString(trigger.id()));
            assertThat(applied.exitCode()).as(applied.err()).isZero();
            await("orders goes on").atMost(Duration.ofMinutes(1)).until(() -> targetMax(servers, db, "orders") > ordersHeldAt + 20);
            assertThat(TestMigrations.cli("ddl", "apply", "-c", file.toString(), Long.toString(trigger.id())).exitCode())
                    .as("a resolved change cannot be resolved again").isNotZero();

            // A carried change the target refuses: its check uses a function that only the source has.
            TestMigrations.execute(servers.source(), db, "CREATE FUNCTION short_text(text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT length($1) < 100'",
                    "ALTER TABLE events ADD CONSTRAINT v_short CHECK (short_text(v))");
            MigrationStatus.SchemaChange check = awaitHeld(coordinator, "ALTER TABLE");
            assertThat(check.tables()).containsExactly("\"public\".\"events\"");
            assertThat(check.reason()).contains("refused", "short_text");
            long eventsHeldAt = targetMax(servers, db, "events");
            long ordersNow = targetMax(servers, db, "orders");
            await("orders streams while events is held").atMost(Duration.ofMinutes(1)).until(() -> targetMax(servers, db, "orders") > ordersNow + 50);
            assertThat(targetMax(servers, db, "events")).isEqualTo(eventsHeldAt);
            MigrationStatus.SchemaChange fn = awaitHeld(coordinator, "CREATE FUNCTION");
            TestMigrations.execute(servers.target(), db, "CREATE FUNCTION short_text(text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT length($1) < 100'");
            assertThat(TestMigrations.cli("ddl", "apply", "-c", file.toString(), Long.toString(fn.id())).exitCode()).isZero();
            assertThat(TestMigrations.cli("ddl", "retry", "-c", file.toString(), Long.toString(check.id())).exitCode()).isZero();
            await("events goes on once the change applies").atMost(Duration.ofMinutes(1))
                    .until(() -> targetMax(servers, db, "events") > eventsHeldAt + 20);
            await("nothing held").atMost(Duration.ofSeconds(30)).until(() -> coordinator.status().databases().get(0).schemaChangesHeld().isEmpty());

            // A table made by CREATE TABLE AS cannot join (the command wrote its rows before pgshift could capture them): it holds the
            // cutover, and the operator copies it. A table created without a key joins with REPLICA IDENTITY FULL, its key added later.
            TestMigrations.execute(servers.source(), db, "CREATE TABLE scratch AS SELECT v FROM (VALUES ('a'), ('b')) AS x(v)",
                    "CREATE TABLE later_key (id int, v text)", "INSERT INTO later_key VALUES (1, 'one')", "UPDATE later_key SET v = 'uno'",
                    "ALTER TABLE later_key ADD PRIMARY KEY (id)", "INSERT INTO later_key VALUES (2, 'two')", "DELETE FROM later_key WHERE id = 1");
            MigrationStatus.SchemaChange scratch = awaitHeld(coordinator, "CREATE TABLE AS");
            assertThat(scratch.tables()).isEmpty();
            assertThat(scratch.reason()).contains("scratch", "wrote its rows itself");
            TestMigrations.execute(servers.target(), db, "CREATE TABLE scratch AS SELECT v FROM (VALUES ('a'), ('b')) AS x(v)");
            assertThat(TestMigrations.cli("ddl", "apply", "-c", file.toString(), Long.toString(scratch.id())).exitCode()).isZero();
            await("later_key streams").atMost(Duration.ofMinutes(1)).until(() -> targetMax(servers, db, "later_key") == 2);

            stopAndCutOver(writer, coordinator, file);
        }
        finally {
            writer.stop();
        }
        assertThat(schema(servers, db, false)).isEqualTo(schema(servers, db, true)).anyMatch(s -> s.contains("v_short"))
                .anyMatch(s -> s.contains("orders_touch"));
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    @Test
    void withoutDdlCaptureAColumnTheTargetLacksHoldsItsTable() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("diff");
        createTables(servers, db);
        Path folder = servers.newFolder("diff");
        String name = "diff_" + db.replaceAll("[^a-z0-9]", "");
        Path file = TestMigrations.configFile(folder, TestMigrations.yaml(servers, name, db, folder.resolve("work"))
                .replace("capture: { heartbeatIntervalMs: 1000 }", "capture: { heartbeatIntervalMs: 1000, ddl: off }"));
        MigrationConfig config = MigrationConfigLoader.load(file);
        Writer writer = new Writer(servers, db);
        try (Coordinator coordinator = Coordinator.start(config, PipelineOptions.all())) {
            await("ready").atMost(Duration.ofMinutes(3)).until(() -> coordinator.status().phase() == Phase.READY_TO_CUTOVER);
            writer.start();
            await("writes").atMost(Duration.ofMinutes(1)).until(() -> writer.written.get() > 50);
            TestMigrations.execute(servers.source(), db, "ALTER TABLE orders ADD COLUMN \"Note, ünïcode\" text DEFAULT 'n'");
            MigrationStatus.SchemaChange diff = awaitHeld(coordinator, "SCHEMA DIFFERENCE");
            assertThat(diff.id()).isNegative();
            assertThat(diff.tables()).containsExactly("\"public\".\"orders\"");
            assertThat(diff.reason()).contains("Note, ünïcode", "did not capture");
            long eventsAtHold = targetMax(servers, db, "events");
            await("events streams while orders is held").atMost(Duration.ofMinutes(1)).until(() -> targetMax(servers, db, "events") > eventsAtHold + 50);
            TestMigrations.CliRun skip = TestMigrations.cli("ddl", "skip", "-c", file.toString(), Long.toString(diff.id()));
            assertThat(skip.exitCode()).as("a schema difference cannot be skipped").isNotZero();
            assertThat(skip.err()).contains("cannot be skipped");

            TestMigrations.execute(servers.target(), db, "ALTER TABLE orders ADD COLUMN \"Note, ünïcode\" text DEFAULT 'n'");
            assertThat(TestMigrations.cli("ddl", "apply", "-c", file.toString(), Long.toString(diff.id())).exitCode()).isZero();
            await("nothing held").atMost(Duration.ofSeconds(30)).until(() -> coordinator.status().databases().get(0).schemaChangesHeld().isEmpty());
            stopAndCutOver(writer, coordinator, file);
        }
        finally {
            writer.stop();
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    private static void createTables(TestServers servers, String db) throws Exception {
        TestMigrations.execute(servers.source(), db, "CREATE TABLE orders (id bigserial PRIMARY KEY, v text NOT NULL, n int NOT NULL)",
                "INSERT INTO orders (v, n) SELECT 'o' || g, g FROM generate_series(1, 500) g",
                "CREATE TABLE events (id bigserial PRIMARY KEY, v text NOT NULL)",
                "INSERT INTO events (v) SELECT 'e' || g FROM generate_series(1, 500) g");
    }

    /** Stops the writer, waits for nothing to be pending, and cuts over (freezing the source): it must complete. */
    private static void stopAndCutOver(Writer writer, Coordinator coordinator, Path file) throws InterruptedException {
        writer.stop();
        await("caught up").atMost(Duration.ofMinutes(2)).until(() -> coordinator.status().phase() == Phase.READY_TO_CUTOVER
                && coordinator.status().pendingChanges() == 0);
        TestMigrations.CliRun run = TestMigrations.cli("cutover", "-c", file.toString(), "--freeze-source", "--cleanup", "--wait", "--timeout", "3m");
        assertThat(run.exitCode()).as("cutover: %s%s", run.out(), run.err()).isZero();
    }

    /** Columns, constraints, triggers and functions of the public schema, as the catalogs describe them. */
    private static List<String> schema(TestServers servers, String db, boolean source) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        try (Connection c = source ? servers.source().connect(db) : servers.target().connect(db); Statement st = c.createStatement()) {
            for (String sql : List.of(
                    "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')"
                            + " FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
                    "SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint"
                            + " WHERE connamespace = 'public'::regnamespace ORDER BY 1",
                    "SELECT tgrelid::regclass || ' ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1",
                    "SELECT p.oid::regprocedure || ' ' || p.prosrc FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1")) {
                try (ResultSet rs = st.executeQuery(sql)) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
            }
        }
        return out;
    }

    private static MigrationStatus.SchemaChange awaitHeld(Coordinator coordinator, String tag) {
        AtomicReference<MigrationStatus.SchemaChange> found = new AtomicReference<>();
        await("schema change " + tag + " held").atMost(Duration.ofMinutes(1)).until(() -> {
            assertThat(coordinator.status().phase()).as("%s", coordinator.status().reason()).isNotEqualTo(Phase.FAILED);
            coordinator.status().databases().get(0).schemaChangesHeld().stream().filter(h -> h.tag().equals(tag)).findFirst().ifPresent(found::set);
            return found.get() != null;
        });
        return found.get();
    }

    private static MigrationStatus.Table tableStatus(Coordinator coordinator, String table) {
        return coordinator.status().databases().get(0).tables().stream().filter(t -> t.table().endsWith(table)).findFirst().orElseThrow();
    }

    private static long targetMax(TestServers servers, String db, String table) throws Exception {
        try (Connection c = servers.target().connect(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(max(id), 0) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static boolean sourceWritable(TestServers servers, String db) throws Exception {
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce((SELECT setting FROM pg_db_role_setting s, unnest(s.setconfig) setting"
                     + " WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())"
                     + " AND setting LIKE 'default_transaction_read_only%'), '') NOT LIKE '%on%'")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }



    /** Inserts into and updates both tables until stopped; every statement must succeed. */
    private static final class Writer {
        final AtomicLong written = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        Writer(TestServers servers, String db) {
            thread = new Thread(() -> {
                try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                    while (!Thread.currentThread().isInterrupted()) {
                        long n = written.get();
                        st.execute("INSERT INTO orders (v, n) VALUES ('w" + n + "', " + (1 + n % 1000) + ")");
                        st.execute("UPDATE orders SET n = n + 1 WHERE id = " + (1 + n % 500));
                        st.execute("INSERT INTO events (v) VALUES ('w" + n + "')");
                        written.incrementAndGet();
                        Thread.sleep(5);
                    }
                }
                catch (InterruptedException e) {
                    // stopped
                }
                catch (Throwable t) {
                    failure.set(t);
                }
            }, "hold-writer");
        }

        void start() {
            thread.start();
        }

        void stop() throws InterruptedException {
            thread.interrupt();
            thread.join(10_000);
            assertThat(failure.get()).as("writer failure").isNull();
        }
    }
}
