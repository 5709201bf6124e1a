package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
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
 * Schema changes on the source while it streams and a writer keeps inserting (issue 20): pgshift's DDL capture carries each to the
 * target at its place among the data changes, an enum value added BEFORE another and used at once, a column added with a default and
 * filled, a column type widened, an index built CONCURRENTLY and dropped CONCURRENTLY (so on the target too), a constraint, NOT NULL and a default, a renamed and a dropped
 * column, a domain and a column of it, a comment, a new table created and written to (in its creating transaction and after), a
 * table renamed, a partition added, an identity column GENERATED ALWAYS; tickets' changes are spread over three partitions by key, so
 * every change of it is a barrier across them. Then the target's schema equals the source's (catalog comparison), its rows equal the
 * source's, and a cutover completes.
 */
class SchemaChangesIT {

    @Test
    void schemaChangesReachTheTargetInOrderWithTheData() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("ddl");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TYPE ticket_state AS ENUM ('open', 'closed')");
            st.execute("CREATE TABLE tickets (id bigserial PRIMARY KEY, state ticket_state NOT NULL, title text, qty int NOT NULL, note text)");
            st.execute("INSERT INTO tickets (state, title, qty, note) SELECT 'open', 'ticket ' || g, g, 'n' FROM generate_series(1, 2000) g");
            st.execute("CREATE TABLE other (id int PRIMARY KEY, v text)");
            st.execute("INSERT INTO other SELECT g, 'v' || g FROM generate_series(1, 100) g");
            st.execute("CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)");
            st.execute("INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 20) g");
            st.execute("CREATE TABLE readings (at date NOT NULL, v int NOT NULL, PRIMARY KEY (at, v)) PARTITION BY RANGE (at)");
            st.execute("CREATE TABLE readings_2025 PARTITION OF readings FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')");
            st.execute("INSERT INTO readings VALUES ('2025-03-01', 1), ('2025-04-01', 2)");
        }
        Path folder = servers.newFolder("ddl");
        String name = "ddl_" + db.replaceAll("[^a-z0-9]", "");
        // Three partitions per topic and two appliers: tickets' changes are spread by key, so each schema change of it is a barrier
        // across its partitions (and it stops being spread once it has a second unique index).
        String yaml = TestMigrations.yaml(servers, name, db, folder.resolve("work"));
        yaml = yaml.replace("kafka: { bootstrap: ", "kafka: { partitionsPerTable: 3, bootstrap: ") + "apply: { workers: 2, maxBatchRecords: 50 }\n";
        Path file = TestMigrations.configFile(folder, yaml);
        MigrationConfig config = MigrationConfigLoader.load(file);

        AtomicLong written = new AtomicLong();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                while (!Thread.currentThread().isInterrupted()) {
                    st.execute("INSERT INTO tickets (state, qty) VALUES ('open', " + (1 + written.get() % 1000) + ")");
                    st.execute("UPDATE other SET v = v || '.' WHERE id = " + (1 + written.get() % 100));
                    written.incrementAndGet();
                    Thread.sleep(2);
                }
            }
            catch (InterruptedException e) {
                // stopped
            }
            catch (Throwable t) {
                writerFailure.set(t);
            }
        }, "ddl-writer");
        try (Coordinator coordinator = Coordinator.start(config, PipelineOptions.all())) {
            await("ready").atMost(Duration.ofMinutes(3)).until(() -> coordinator.status().phase() == Phase.READY_TO_CUTOVER);
            writer.start();
            await("writes").atMost(Duration.ofMinutes(1)).until(() -> written.get() > 100);
            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                for (String sql : List.of(
                        "ALTER TYPE ticket_state ADD VALUE 'in_progress' BEFORE 'closed'",
                        "UPDATE tickets SET state = 'in_progress' WHERE id % 5 = 0",
                        "INSERT INTO tickets (state, title, qty) VALUES ('in_progress', 'new state', 1)",
                        "ALTER TABLE tickets ADD COLUMN priority int NOT NULL DEFAULT 3",
                        "UPDATE tickets SET priority = id % 7 WHERE id % 2 = 0",
                        "ALTER TABLE tickets ALTER COLUMN qty TYPE bigint",
                        "UPDATE tickets SET qty = 5000000000 WHERE id % 11 = 0",
                        "CREATE INDEX CONCURRENTLY tickets_title ON tickets (title)",
                        "ALTER TABLE tickets ADD CONSTRAINT qty_nonneg CHECK (qty >= 0)",
                        "ALTER TABLE tickets ALTER COLUMN title SET DEFAULT 'untitled'",
                        "UPDATE tickets SET title = 'untitled' WHERE title IS NULL",
                        "ALTER TABLE tickets ALTER COLUMN title SET NOT NULL",
                        "ALTER TABLE tickets RENAME COLUMN title TO subject",
                        "INSERT INTO tickets (state, subject, qty) VALUES ('closed', 'renamed column', 2)",
                        "ALTER TABLE tickets DROP COLUMN note",
                        "CREATE DOMAIN seat_count AS int CHECK (VALUE > 0)",
                        "ALTER TABLE tickets ADD COLUMN seats seat_count",
                        "UPDATE tickets SET seats = 1 + id % 4 WHERE id % 3 = 0",
                        "COMMENT ON TABLE tickets IS 'support tickets'",
                        "DROP INDEX CONCURRENTLY tickets_title",
                        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS other_v ON other (v)",
                        "CREATE UNIQUE INDEX tickets_subject_id ON tickets (subject, id)",
                        "UPDATE tickets SET qty = qty + 1 WHERE id % 13 = 0",
                        // A new table joins: created and written to in one transaction, written to after.
                        "BEGIN; CREATE TABLE tags (id int PRIMARY KEY, label text NOT NULL, seen timestamptz DEFAULT now());"
                                + " INSERT INTO tags (id, label) SELECT g, 'tag ' || g FROM generate_series(1, 50) g; COMMIT",
                        "INSERT INTO tags (id, label) SELECT g, 'tag ' || g FROM generate_series(51, 100) g",
                        "UPDATE tags SET label = label || '!' WHERE id % 3 = 0",
                        "DELETE FROM tags WHERE id % 10 = 0",
                        // A table renamed keeps streaming under its new name.
                        "ALTER TABLE notes RENAME TO remarks",
                        "INSERT INTO remarks (id, body) VALUES (1000, 'after the rename')",
                        "UPDATE remarks SET body = body || ' (edited)' WHERE id < 5",
                        // A partition added to a migrated partitioned table.
                        "CREATE TABLE readings_2026 PARTITION OF readings FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
                        "INSERT INTO readings VALUES ('2026-06-01', 3), ('2026-07-01', 4)",
                        // An identity column GENERATED ALWAYS, then updates of its rows (the target's is BY DEFAULT while applying).
                        "ALTER TABLE other ADD COLUMN seq int GENERATED ALWAYS AS IDENTITY",
                        "UPDATE other SET v = v || '+' WHERE id % 4 = 0")) {
                    st.execute(sql);
                    Thread.sleep(50);
                }
            }
            long after = written.get();
            await("writes after the schema changes").atMost(Duration.ofMinutes(1)).until(() -> written.get() > after + 100);
            writer.interrupt();
            writer.join(10_000);
            assertThat(writerFailure.get()).as("writer failure").isNull();
            await("caught up").atMost(Duration.ofMinutes(2)).until(() -> {
                assertThat(coordinator.status().phase()).as("%s", coordinator.status().reason()).isNotEqualTo(Phase.FAILED);
                return coordinator.status().phase() == Phase.READY_TO_CUTOVER && coordinator.status().pendingChanges() == 0;
            });
            assertThat(coordinator.status().databases().get(0).tables()).extracting(MigrationStatus.Table::table)
                    .contains("public.tags", "public.remarks").doesNotContain("public.notes");
            assertThat(coordinator.status().databases().get(0).schemaChangesHeld()).isEmpty();
            TestMigrations.CliRun run = TestMigrations.cli("cutover", "-c", file.toString(), "--freeze-source", "--cleanup", "--wait", "--timeout", "3m");
            assertThat(run.exitCode()).as("cutover: %s%s", run.out(), run.err()).isZero();
        }
        finally {
            writer.interrupt();
        }
        assertThat(schema(servers.target().connect(db))).isEqualTo(schema(servers.source().connect(db)));
        TestMigrations.assertTargetEqualsSource(servers, db);
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'pgshift%'")) {
            rs.next();
            assertThat(rs.getInt(1)).as("event triggers left after cutover --cleanup").isZero();
        }
    }

    /** The public schema as the catalogs describe it: columns, defaults, constraints, indexes, enum labels in order, domains, comments. */
    static List<String> schema(Connection c) throws Exception {
        List<String> out = new ArrayList<>();
        try (c; Statement st = c.createStatement()) {
            for (String sql : List.of(
                    "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || coalesce(domain_name, '') || ' ' || is_nullable || ' '"
                            + " || coalesce(column_default, '') FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name,"
                            + " ordinal_position",
                    "SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint"
                            + " WHERE connamespace = 'public'::regnamespace ORDER BY 1",
                    "SELECT pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
                            + " WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1",
                    "SELECT c.relname || ' ' || c.relkind::text || ' ' || coalesce(pg_get_expr(c.relpartbound, c.oid), '') FROM pg_class c"
                            + " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1",
                    "SELECT attrelid::regclass::text || '.' || attname || ' ' || attidentity::text FROM pg_attribute"
                            + " WHERE attidentity <> '' AND attrelid::regclass::text NOT LIKE 'pgshift.%' ORDER BY 1",
                    "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'public.ticket_state'::regtype",
                    "SELECT coalesce(obj_description('public.tickets'::regclass, 'pg_class'), '')")) {
                try (ResultSet rs = st.executeQuery(sql)) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
            }
        }
        return out;
    }
}
