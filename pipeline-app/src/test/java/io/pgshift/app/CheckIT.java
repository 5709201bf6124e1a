package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.pgshift.app.check.CheckReport;
import io.pgshift.app.check.CheckResult;
import io.pgshift.app.check.CheckStatus;
import io.pgshift.app.check.PrerequisiteChecks;
import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.schema.ClientTools;
import io.pgshift.core.Identifiers;
import io.pgshift.testkit.EmbeddedPostgres;
import io.pgshift.testkit.TestServers;

/**
 * Each prerequisite check against a source (or target) set up to fail it, which must FAIL (or WARN) with its fix, and
 * set up right, which must PASS.
 */
class CheckIT {

    private final TestServers servers = TestServers.get();

    @Test
    void aHealthySetupPassesEveryCheck() throws Exception {
        String db = servers.newDatabasePair("checkok");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE by_key (id int PRIMARY KEY, v text)");
            st.execute("CREATE TABLE by_index (a int NOT NULL, b text NOT NULL, v text)");
            st.execute("CREATE UNIQUE INDEX by_index_ab ON by_index (a, b)");
            st.execute("ALTER TABLE by_index REPLICA IDENTITY USING INDEX by_index_ab");
            st.execute("CREATE TABLE by_full (v text)");
            st.execute("ALTER TABLE by_full REPLICA IDENTITY FULL");
        }
        Path config = TestMigrations.configFile(servers.newFolder("checkok"), yaml(db).replace("  - { source: " + db + " }",
                "  - { source: " + db + ", target: " + db + "_new }"));
        TestMigrations.CliRun run = TestMigrations.cli("check", "-c", config.toString(), "--json");
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        CheckReport report = report(run.out());
        for (String check : List.of("source.connection", "source.version", "source.wal_level", "source.replication_slots", "source.wal_senders",
                "source.replication_role", "target.connection", "target.version", "target.privileges", "tools.pg_dump", "kafka.connection",
                "source.selection", "source.table_privileges", "source.setup_privileges", "source.replica_identity", "source.foreign_keys",
                "source.large_objects", "source.unlogged_tables", "source.temporary_tables", "source.materialized_views", "source.slot",
                "source.publication", "source.long_transactions", "target.database", "target.extensions", "target.tables_empty")) {
            assertThat(status(report, check)).as("%s in %s", check, run.out()).isEqualTo(CheckStatus.PASS);
        }
        assertThat(report.find("source.replica_identity", null).orElseThrow().found()).contains("1 by primary key", "1 by their replica identity index",
                "1 by REPLICA IDENTITY FULL");
        assertThat(report.find("target.database", null).orElseThrow().found()).contains("does not exist: migrate creates it");
        assertThat(status(report, "source.slot_wal_limit")).isEqualTo(CheckStatus.WARN);
        assertThat(report.find("source.slot_wal_limit", null).orElseThrow().fix()).contains("max_slot_wal_keep_size");
        assertThat(status(report, "source.ddl")).isEqualTo(CheckStatus.WARN);

        TestMigrations.CliRun text = TestMigrations.cli("check", "-c", config.toString());
        assertThat(text.out()).containsPattern("(?m)^PASS  source\\.wal_level +\\[source\\] wal_level = logical$")
                .containsPattern("(?m)^WARN  source\\.slot_wal_limit .*\\n +fix: ").contains("checks: ").contains("0 FAIL");
    }

    /** A server with wal_level = replica, one slot (taken), no WAL senders, TLS on and a WAL limit for slots. */
    @Test
    void aMisconfiguredServerFailsWithTheFixes() throws Exception {
        Path folder = servers.newFolder("checkbad");
        Map<String, String> tls = certificate(folder);
        try (EmbeddedPostgres bad = EmbeddedPostgres.start(13, folder.resolve("data"), 0, Map.of("wal_level", "replica", "max_replication_slots", "1",
                "max_wal_senders", "0", "max_slot_wal_keep_size", "'1GB'", "ssl", "on"), tls)) {
            bad.createDatabase("shop");
            try (Connection c = bad.connect("shop"); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE t (id int PRIMARY KEY)");
                st.execute("SELECT pg_create_physical_replication_slot('standby_1')");
            }
            Files.writeString(folder.resolve("root.crt"), tls.get("server.crt"));
            String yaml = TestMigrations.yaml(servers, "checkbad", "shop", folder.resolve("work"))
                    .replace("port: " + servers.source().port() + ", user: postgres }", "port: " + bad.port() + ", user: postgres, sslmode: verify-ca,"
                            + " sslrootcert: \"" + folder.resolve("root.crt") + "\" }")
                    .replace("bootstrap: \"" + servers.bootstrapServers() + "\"", "bootstrap: \"127.0.0.1:" + EmbeddedPostgres.freePort() + "\"");
            CheckReport report = run(yaml);
            assertThat(report.find("source.connection", "source").orElseThrow().found()).contains("TLS TLSv1.3 (sslmode verify-ca, root certificate");
            assertFails(report, "source.wal_level", "wal_level = replica", "ALTER SYSTEM SET wal_level = logical");
            assertFails(report, "source.replication_slots", "needs 1 replication slot (1 to create); 0 of max_replication_slots = 1 free",
                    "raise max_replication_slots to at least 2");
            assertFails(report, "source.wal_senders", "0 of max_wal_senders = 0 free", "raise max_wal_senders to at least 1");
            assertThat(status(report, "source.slot_wal_limit")).isEqualTo(CheckStatus.PASS);
            assertFails(report, "kafka.connection", "cannot reach Kafka", "check kafka.bootstrap");
            assertThat(report.passed()).isFalse();

            CheckReport plain = run(yaml.replace("sslmode: verify-ca", "sslmode: disable"));
            assertThat(plain.find("source.connection", "source").orElseThrow().found()).contains("without TLS (sslmode disable)");
        }
        CheckReport noTls = run(yaml(servers.newDatabasePair("checktls")).replace("port: " + servers.source().port() + ", user: postgres }",
                "port: " + servers.source().port() + ", user: postgres, sslmode: require }"));
        assertFails(noTls, "source.connection", "does not support SSL", "enable ssl on it");
    }

    @Test
    void aSourceUserWithoutPrivilegesFailsUntilGranted() throws Exception {
        String db = servers.newDatabasePair("checkpriv");
        String role = "u_" + db;
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t (id int PRIMARY KEY)");
            st.execute("CREATE ROLE " + role + " LOGIN");
        }
        try (Connection c = servers.target().connect("postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE ROLE " + role + " LOGIN");
        }
        String yaml = yaml(db).replace("user: postgres }", "user: " + role + " }").replace("  - { source: " + db + " }",
                "  - { source: " + db + ", target: " + db + "_absent }");
        CheckReport before = run(yaml);
        assertFails(before, "source.replication_role", "has neither REPLICATION nor superuser", "ALTER ROLE \"" + role + "\" REPLICATION;");
        assertFails(before, "source.table_privileges", "cannot read public.t", "GRANT SELECT ON \"public\".\"t\" TO \"" + role + "\";");
        assertFails(before, "source.setup_privileges", "it does not own public.t", "run pgshift as the tables' owner");
        assertFails(before, "target.privileges", "may not set session_replication_role", "GRANT SET ON PARAMETER session_replication_role TO \"" + role + "\"");
        assertFails(before, "target.database", "may not create databases", "CREATEDB");

        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("ALTER ROLE " + role + " REPLICATION");
            st.execute("ALTER TABLE t OWNER TO " + role);
            st.execute("GRANT CREATE ON DATABASE " + db + " TO " + role);
        }
        try (Connection c = servers.target().connect("postgres"); Statement st = c.createStatement()) {
            st.execute("GRANT SET ON PARAMETER session_replication_role TO \"" + role + "\"");
            st.execute("ALTER ROLE " + role + " CREATEDB");
        }
        CheckReport after = run(yaml);
        for (String check : List.of("source.replication_role", "source.table_privileges", "source.setup_privileges", "target.privileges", "target.database")) {
            assertThat(status(after, check)).as("%s after the grants", check).isEqualTo(CheckStatus.PASS);
        }
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("DROP TABLE t");
            st.execute("REVOKE ALL ON DATABASE " + db + " FROM " + role);
            st.execute("DROP ROLE " + role);
        }
        try (Connection c = servers.target().connect("postgres"); Statement st = c.createStatement()) {
            st.execute("REVOKE SET ON PARAMETER session_replication_role FROM " + role);
            st.execute("DROP ROLE " + role);
        }
    }

    @Test
    void tablesWithoutAReplicaIdentityFailUntilFixed() throws Exception {
        String db = servers.newDatabasePair("checkident");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE keyless (v text)");
            st.execute("CREATE TABLE nothing (id int PRIMARY KEY)");
            st.execute("ALTER TABLE nothing REPLICA IDENTITY NOTHING");
            st.execute("CREATE TABLE parent (id int PRIMARY KEY)");
            st.execute("CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent)");
        }
        Path config = TestMigrations.configFile(servers.newFolder("checkident"), yaml(db)
                .replace("tables: { include: [\"public.*\"] }", "tables: { include: [\"public.*\"], exclude: [\"public.parent\"] }"));
        CheckReport before = run(Files.readString(config));
        assertFails(before, "source.replica_identity", "public.keyless (no primary key and REPLICA IDENTITY DEFAULT: its UPDATE and DELETE would"
                + " fail once published), public.nothing (REPLICA IDENTITY NOTHING", "--fix-replica-identity");
        assertFails(before, "source.foreign_keys", "public.child.child_parent_id_fkey -> public.parent", "select the referenced tables too");

        TestMigrations.CliRun refused = TestMigrations.cli("migrate", "-c", config.toString());
        assertThat(refused.exitCode()).isEqualTo(3);
        assertThat(refused.err()).contains("not starting").contains("source.replica_identity").contains("--force");

        TestMigrations.CliRun fixed = TestMigrations.cli("check", "-c", config.toString(), "--fix-replica-identity");
        assertThat(fixed.err()).contains("Setting REPLICA IDENTITY FULL on \"public\".\"keyless\"")
                .contains("Setting REPLICA IDENTITY FULL on \"public\".\"nothing\"");
        assertThat(fixed.out()).containsPattern("(?m)^PASS  source\\.replica_identity .*REPLICA IDENTITY FULL set on");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT string_agg(relname || '=' || relreplident, ',' ORDER BY relname) FROM pg_class"
                     + " WHERE relname IN ('keyless', 'nothing')")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("keyless=f,nothing=f");
        }
        CheckReport after = run(Files.readString(config).replace("exclude: [\"public.parent\"]", "exclude: []"));
        assertThat(status(after, "source.replica_identity")).isEqualTo(CheckStatus.PASS);
        assertThat(status(after, "source.foreign_keys")).isEqualTo(CheckStatus.PASS);
    }

    @Test
    void whatLogicalReplicationCannotCarryIsAWarningSayingWhatHappens() throws Exception {
        String db = servers.newDatabasePair("checkcarry");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t (id int PRIMARY KEY)");
            st.execute("SELECT lo_from_bytea(0, 'a large object')");
            st.execute("CREATE UNLOGGED TABLE scratch (id int PRIMARY KEY)");
            st.execute("CREATE MATERIALIZED VIEW totals AS SELECT count(*) FROM t");
        }
        try (Connection session = servers.source().connect(db); Statement st = session.createStatement()) {
            st.execute("CREATE TEMPORARY TABLE mine (x int)");
            CheckReport report = run(yaml(db));
            assertWarns(report, "source.large_objects", "1 large objects", "pg_dump --data-only");
            assertWarns(report, "source.unlogged_tables", "public.scratch", "SET LOGGED");
            assertWarns(report, "source.temporary_tables", "temporary tables exist", "recreate them");
            assertWarns(report, "source.materialized_views", "public.totals: created by the schema step and refreshed on the target after the load",
                    "refresh them again");
            assertWarns(report, "source.ddl", "carries no DDL", "freeze schema changes");
            assertThat(report.passed()).isTrue();
        }
    }

    @Test
    void versionsAndToolsMustSuitTheSource() throws Exception {
        String db = servers.newDatabasePair("checkversions");
        try (Connection c = servers.target().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t (id int PRIMARY KEY)");
        }
        // Swapped: PostgreSQL 16 as the source, 13 as the target.
        String yaml = yaml(db).replace("port: " + servers.source().port(), "port: SOURCE").replace("port: " + servers.target().port(),
                "port: " + servers.source().port()).replace("port: SOURCE", "port: " + servers.target().port());
        CheckReport report = run(yaml);
        assertFails(report, "target.version", "the target runs PostgreSQL 13, older than the source's 16", "PostgreSQL 16 or newer");
        int pgDump = ClientTools.majorVersion("pg_dump").orElseThrow();
        if (pgDump < 16) {
            assertFails(report, "tools.pg_dump", "pg_dump " + pgDump + " cannot dump a PostgreSQL 16 server", "postgresql-client-16");
        }
        assertThat(status(run(yaml(db)), "target.version")).isEqualTo(CheckStatus.PASS);
    }

    @Test
    void extensionsTheTargetLacksFail() throws Exception {
        servers.source().installExtension("pgshift_probe", "1.0", "CREATE FUNCTION pgshift_probe() RETURNS int LANGUAGE sql AS 'SELECT 1';\n");
        String db = servers.newDatabasePair("checkext");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t (id int PRIMARY KEY)");
            st.execute("CREATE EXTENSION citext");
        }
        CheckReport available = run(yaml(db));
        assertThat(status(available, "target.extensions")).isEqualTo(CheckStatus.PASS);
        assertThat(available.find("target.extensions", null).orElseThrow().found()).contains("citext");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION pgshift_probe");
        }
        assertFails(run(yaml(db)), "target.extensions", "lacks: [pgshift_probe 1.0]", "install them on the target server");
    }

    @Test
    void targetTablesWithRowsFail() throws Exception {
        String db = servers.newDatabasePair("checkfull");
        for (EmbeddedPostgres pg : List.of(servers.source(), servers.target())) {
            try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE t (id int PRIMARY KEY)");
                st.execute("INSERT INTO t VALUES (1)");
            }
        }
        assertFails(run(yaml(db)), "target.tables_empty", "target tables already hold rows: public.t", "TRUNCATE \"public\".\"t\";");
        try (Connection c = servers.target().connect(db); Statement st = c.createStatement()) {
            st.execute("TRUNCATE t");
        }
        assertThat(run(yaml(db)).find("target.tables_empty", null).orElseThrow().found()).contains("1 of the selected tables exist", "all empty");
    }

    @Test
    void longTransactionsAndSlotsOrPublicationsInTheWayAreReported() throws Exception {
        String db = servers.newDatabasePair("checkslot");
        String name = "checkslot" + Math.abs(db.hashCode() % 10000);
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t (id int PRIMARY KEY)");
        }
        MigrationConfig config = new MigrationConfigLoader(System::getenv).parse(yaml(db).replace("name: checkslot", "name: " + name)
                + "check: { longTransactionSeconds: 1 }\n", "check");
        String slot = config.names().slotName(db);
        String publication = config.names().publicationName(db);
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            // Before the long transaction: creating a logical slot waits for every transaction running at that moment.
            st.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'test_decoding')");
            st.execute("CREATE PUBLICATION " + Identifiers.quote(publication) + " FOR ALL TABLES");
        }
        try (Connection open = servers.source().connect(db); Statement st = open.createStatement()) {
            open.setAutoCommit(false);
            st.execute("SELECT txid_current()");
            Thread.sleep(1500);
            CheckReport report = new PrerequisiteChecks(config, false, line -> { }).run();
            assertWarns(report, "source.long_transactions", "transactions open longer than 1 s: pid ", "pg_terminate_backend");
            assertFails(report, "source.slot", "replication slot " + slot + " exists but belongs to something else (plugin test_decoding",
                    "pg_drop_replication_slot('" + slot + "')");
            assertFails(report, "source.publication", "exists FOR ALL TABLES", "DROP PUBLICATION");
            open.rollback();
        }
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("SELECT pg_drop_replication_slot('" + slot + "')");
            st.execute("DROP PUBLICATION " + Identifiers.quote(publication));
            st.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
        }
        CheckReport resumed = new PrerequisiteChecks(config, false, line -> { }).run();
        assertThat(resumed.find("source.slot", null).orElseThrow()).satisfies(r -> {
            assertThat(r.status()).isEqualTo(CheckStatus.PASS);
            assertThat(r.found()).contains("exists (retains").contains("migrate resumes from it");
        });
        assertThat(status(resumed, "source.long_transactions")).isEqualTo(CheckStatus.PASS);
        assertThat(status(resumed, "source.publication")).isEqualTo(CheckStatus.PASS);
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("SELECT pg_drop_replication_slot('" + slot + "')");
        }
    }

    // ---------------------------------------------------------------- helpers

    private String yaml(String db) throws Exception {
        return TestMigrations.yaml(servers, "checkslot", db, servers.newFolder("check-work"));
    }

    private static CheckReport run(String yaml) {
        MigrationConfig config = new MigrationConfigLoader(System::getenv).parse(yaml, "check");
        return new PrerequisiteChecks(config, false, line -> { }).run();
    }

    private static CheckStatus status(CheckReport report, String check) {
        return report.find(check, null).map(CheckResult::status).orElseThrow(() -> new AssertionError(check + " did not run:\n" + report.toText()));
    }

    private static void assertFails(CheckReport report, String check, String found, String fix) {
        assertResult(report, check, CheckStatus.FAIL, found, fix);
    }

    private static void assertWarns(CheckReport report, String check, String found, String fix) {
        assertResult(report, check, CheckStatus.WARN, found, fix);
    }

    private static void assertResult(CheckReport report, String check, CheckStatus status, String found, String fix) {
        CheckResult r = report.results().stream().filter(x -> x.check().equals(check) && x.status() == status).findFirst()
                .orElseThrow(() -> new AssertionError("no " + status + " for " + check + " in:\n" + report.toText()));
        assertThat(r.found()).as("what %s found", check).contains(found);
        assertThat(r.fix()).as("the fix %s gives", check).contains(fix);
    }

    /** The report printed by {@code check --json}, read back. */
    private static CheckReport report(String json) throws Exception {
        com.fasterxml.jackson.databind.JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        List<CheckResult> results = new java.util.ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode n : root.get("checks")) {
            results.add(new CheckResult(n.get("check").asText(), n.get("scope").asText(), CheckStatus.valueOf(n.get("status").asText()),
                    n.get("found").asText(), n.get("fix").asText()));
        }
        assertThat(root.get("passed").asBoolean()).isEqualTo(results.stream().noneMatch(r -> r.status() == CheckStatus.FAIL));
        return new CheckReport(root.get("migration").asText(), results);
    }

    /** A self-signed certificate for 127.0.0.1 made with openssl: server.crt and server.key. */
    private static Map<String, String> certificate(Path folder) throws Exception {
        Path key = folder.resolve("server.key");
        Path crt = folder.resolve("server.crt");
        ClientTools.Result r = ClientTools.run(List.of("openssl", "req", "-new", "-x509", "-days", "2", "-nodes", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.toString(), "-out", crt.toString()), Map.of(), Duration.ofMinutes(1),
                "making a test certificate");
        assertThat(r.exitCode()).as(r.output()).isZero();
        return Map.of("server.crt", Files.readString(crt), "server.key", Files.readString(key));
    }
}
