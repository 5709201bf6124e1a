package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.pgshift.app.schema.ClientTools;
import io.pgshift.core.SqlResource;
import io.pgshift.testkit.EmbeddedPostgres;
import io.pgshift.testkit.TestServers;

/**
 * {@code pgshift schema} on a sample database with every kind of object: after pre-data and post-data, the target's
 * {@code pg_dump --schema-only} equals the source's, apart from what the selection leaves out.
 */
class SchemaIT {

    /**
     * To a PostgreSQL 13 target, which this machine's pg_dump can dump like the source: the dumps are equal. To the shared
     * PostgreSQL 16 target (no pg_dump here dumps both 13 and 16): every object, column, constraint, index, trigger, view,
     * function, type, sequence and comment is the same, as the catalogs describe them.
     */
    @Test
    void preDataThenPostDataReproduceTheSourceSchema() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("schema");
        Path config = sampleMigration(servers, db, "schema", "");

        TestMigrations.CliRun pre = TestMigrations.cli("schema", "-c", config.toString(), "--section", "pre-data");
        assertThat(pre.exitCode()).as(pre.err()).isZero();
        assertThat(pre.out()).contains("pre-data of '" + db + "' applied");
        try (Connection t = servers.target().connect(db)) {
            assertThat(indexes(t)).as("indexes after pre-data alone").isEmpty();
            assertThat(exists(t, "sales.orders_2026")).as("partitions come with pre-data").isTrue();
        }

        TestMigrations.CliRun post = TestMigrations.cli("schema", "-c", config.toString(), "--section", "post-data");
        assertThat(post.exitCode()).as(post.err()).isZero();
        assertThat(post.out()).contains("post-data of '" + db + "' applied").contains("sales.revenue_by_month");

        try (Connection s = servers.source().connect(db); Connection t = servers.target().connect(db)) {
            List<String> expected = fingerprint(s).stream().filter(l -> !l.contains("sales.scratch") && !l.contains("sales.cache")).toList();
            assertThat(expected).anyMatch(l -> l.startsWith("trigger CREATE TRIGGER customers_audit"))
                    .anyMatch(l -> l.startsWith("index CREATE INDEX products_tags")).anyMatch(l -> l.contains("FOREIGN KEY"))
                    .anyMatch(l -> l.startsWith("view sales.revenue_by_month")).anyMatch(l -> l.contains("owned by orders.id"))
                    .anyMatch(l -> l.startsWith("comment column email of table sales.customers"));
            assertThat(fingerprint(t)).as("the PostgreSQL 16 target's schema").containsExactlyElementsOf(expected);
            assertThat(exists(t, "sales.scratch")).as("excluded table").isFalse();
            assertThat(exists(t, "sales.cache")).as("unlogged table").isFalse();
        }

        TestMigrations.CliRun again = TestMigrations.cli("schema", "-c", config.toString());
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.out()).contains("pre-data of '" + db + "' is already in target database").contains("post-data of '" + db
                + "' is already in target database").contains("nothing to do");

        try (EmbeddedPostgres pg13 = EmbeddedPostgres.start(13, servers.newFolder("schema-pg13").resolve("data"), 0)) {
            pg13.createDatabase(db);
            Path config13 = TestMigrations.configFile(servers.newFolder("schema13"),
                    java.nio.file.Files.readString(config).replace("port: " + servers.target().port(), "port: " + pg13.port()));
            TestMigrations.CliRun both = TestMigrations.cli("schema", "-c", config13.toString());
            assertThat(both.exitCode()).as(both.err()).isZero();
            String sourceSchema = dump(servers.source(), db, List.of("sales.scratch", "sales.cache"));
            assertThat(sourceSchema).contains("CREATE TYPE sales.order_status", "CREATE DOMAIN sales.email", "PARTITION BY RANGE",
                    "CREATE MATERIALIZED VIEW sales.revenue_by_month", "CREATE TRIGGER customers_audit", "FOREIGN KEY", "OWNED BY",
                    "GENERATED ALWAYS AS IDENTITY", "COMMENT ON COLUMN", "CREATE EXTENSION IF NOT EXISTS citext");
            assertThat(dump(pg13, db, List.of())).as("pg_dump --schema-only of the target").isEqualTo(sourceSchema);
        }
    }

    /** Post-data builds indexes with PostgreSQL's parallel workers and more memory, and never lowers what the target has. */
    @Test
    void postDataRaisesTheIndexBuildSettingsOnlyAboveTheTargetsOwn() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("schemabuild");
        try (Connection t = servers.target().connect(db); Statement st = t.createStatement()) {
            // The test server runs with PostgreSQL's defaults: 64MB, 2 maintenance workers, 8 parallel workers.
            assertThat(io.pgshift.app.schema.SchemaMigrator.indexBuildSettings(t))
                    .containsExactly(java.util.Map.entry("maintenance_work_mem", "256MB"), java.util.Map.entry("max_parallel_maintenance_workers", "4"));
            st.execute("ALTER DATABASE " + db + " SET maintenance_work_mem = '1GB'");
            st.execute("ALTER DATABASE " + db + " SET max_parallel_maintenance_workers = 6");
        }
        try (Connection t = servers.target().connect(db)) {
            assertThat(io.pgshift.app.schema.SchemaMigrator.indexBuildSettings(t)).isEmpty();
        }
    }

    /**
     * Post-data builds its indexes with several jobs, so it is not one transaction: a failed attempt leaves what it built, and the next
     * attempt drops that and builds everything as the source has it.
     */
    @Test
    void aFailedParallelPostDataIsBuiltWhollyByTheNextAttempt() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("postjobs");
        Path config = sampleMigration(servers, db, "postjobs", "load: { indexJobs: 3 }\n");
        assertThat(TestMigrations.cli("schema", "-c", config.toString(), "--section", "pre-data").exitCode()).isZero();
        try (Connection t = servers.target().connect(db); Statement st = t.createStatement()) {
            st.execute("INSERT INTO sales.products VALUES ('ABC-1', 'one', 1, '{}'), ('ABC-1', 'the same key', 2, '{}')"); // no primary key yet
        }

        TestMigrations.CliRun failed = TestMigrations.cli("schema", "-c", config.toString(), "--section", "post-data");
        assertThat(failed.exitCode()).isEqualTo(1);
        assertThat(failed.err()).contains("Failed applying the post-data section of '" + db + "'").contains("products_pkey")
                .contains("What this section built before the failure stays; the next attempt drops it and builds it again");

        try (Connection t = servers.target().connect(db); Statement st = t.createStatement()) {
            st.execute("DELETE FROM sales.products WHERE title = 'the same key'"); // the operator's fix
        }
        TestMigrations.CliRun post = TestMigrations.cli("schema", "-c", config.toString(), "--section", "post-data");
        assertThat(post.exitCode()).as(post.err()).isZero();
        assertThat(post.out()).contains("post-data of '" + db + "' applied");
        try (Connection s = servers.source().connect(db); Connection t = servers.target().connect(db)) {
            List<String> expected = fingerprint(s).stream().filter(l -> !l.contains("sales.scratch") && !l.contains("sales.cache")).toList();
            assertThat(fingerprint(t)).as("the target's schema after the second attempt").containsExactlyElementsOf(expected);
        }
    }

    @Test
    void aFailingStatementIsQuotedAndNothingOfItsSectionIsApplied() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("schemafail");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute(SqlResource.load("/io/pgshift/app/schema/sample.sql"));
        }
        try (Connection t = servers.target().connect(db); Statement st = t.createStatement()) {
            st.execute("CREATE SCHEMA sales");
        }
        Path config = TestMigrations.configFile(servers.newFolder("schemafail"), TestMigrations.yaml(servers, "schemafail", db,
                servers.newFolder("schemafail-work")).replace("tables: { include: [\"public.*\"] }", "tables: { include: [\"sales.*\"] }"));

        TestMigrations.CliRun run = TestMigrations.cli("schema", "-c", config.toString(), "--section", "pre-data");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("Failed applying the pre-data section of '" + db + "' to target database '" + db + "'")
                .contains("already exists").contains("The statement that failed:").contains("CREATE SCHEMA sales;")
                .contains("Nothing of this section was applied");
        try (Connection t = servers.target().connect(db)) {
            assertThat(exists(t, "sales.customers")).as("tables of the failed section").isFalse();
        }
    }

    /** The sample database (every kind of object) on the source, and a configuration file migrating its sales tables but scratch. */
    private static Path sampleMigration(TestServers servers, String db, String name, String extraYaml) throws Exception {
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute(SqlResource.load("/io/pgshift/app/schema/sample.sql"));
        }
        String yaml = TestMigrations.yaml(servers, name, db, servers.newFolder(name + "-work"))
                .replace("tables: { include: [\"public.*\"] }", "tables: { include: [\"sales.*\"], exclude: [\"sales.scr*\"] }") + extraYaml;
        return TestMigrations.configFile(servers.newFolder(name), yaml);
    }

    private static List<String> fingerprint(Connection c) throws Exception {
        List<String> lines = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(SqlResource.load("/io/pgshift/app/schema/fingerprint.sql"))) {
            while (rs.next()) {
                lines.add(rs.getString(1));
            }
        }
        return lines;
    }

    private static boolean exists(Connection c, String table) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT to_regclass('" + table + "')")) {
            rs.next();
            return rs.getString(1) != null;
        }
    }

    private static List<String> indexes(Connection c) throws Exception {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT indexname FROM pg_indexes WHERE schemaname = 'sales'")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /**
     * {@code pg_dump --schema-only} with the options pgshift uses, without comment lines (they name the server version)
     * and without the {@code \restrict} lines of recent pg_dump releases (they carry a random key).
     */
    static String dump(EmbeddedPostgres server, String db, List<String> excludedTables) throws Exception {
        List<String> command = new ArrayList<>(List.of(ClientTools.locate("pg_dump"), "--schema-only", "--no-owner", "--no-privileges",
                "--no-publications", "--no-subscriptions", "--exclude-schema=pgshift", "--dbname=" + db));
        excludedTables.forEach(t -> command.add("--exclude-table=" + t));
        ClientTools.Result r = ClientTools.run(command, server.endpoint("x").libpqEnvironment(db), java.time.Duration.ofMinutes(2), "dump");
        assertThat(r.exitCode()).as(r.output()).isZero();
        StringBuilder b = new StringBuilder();
        for (String line : r.output().split("\n")) {
            if (!line.startsWith("--") && !line.isBlank() && !line.startsWith("\\restrict") && !line.startsWith("\\unrestrict")) {
                b.append(line).append('\n');
            }
        }
        return b.toString();
    }
}
