package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.pgshift.app.config.ConfigException;
import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.coordinator.Coordinator;
import io.pgshift.app.coordinator.CutoverReport;
import io.pgshift.app.coordinator.Phase;
import io.pgshift.app.pipeline.PipelineOptions;
import io.pgshift.core.SqlResource;
import io.pgshift.core.TableSelection;
import io.pgshift.core.validation.TableComparator;
import io.pgshift.testkit.EmbeddedSchemaRegistry;
import io.pgshift.testkit.TestServers;

/**
 * The coordinator on a Kafka Connect worker: every type family arrives identical through the Debezium source and pgshift sink
 * connectors, in JSON and in Avro through a real schema registry (column names Avro does not allow included); a coordinator that stops
 * and starts again takes its running connectors over; and a bad configuration is refused at its key before anything moves.
 */
class ConnectWorkerIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TableSelection PUBLIC = new TableSelection(java.util.List.of("public.*"), java.util.List.of());

    @Test
    void everyTypeFamilyArrivesIdenticalThroughTheConnectorsInJson() throws Exception {
        everyTypeFamily("cjson", false);
    }

    @Test
    void everyTypeFamilyArrivesIdenticalThroughTheConnectorsInAvroWithASchemaRegistry() throws Exception {
        everyTypeFamily("cavro", true);
    }

    private void everyTypeFamily(String prefix, boolean avro) throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair(prefix);
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute(SqlResource.load("/io/pgshift/app/types/schema.sql"));
            // A DEFERRABLE key with REPLICA IDENTITY FULL: statements that renumber keys are matched by the whole old row.
            st.execute("CREATE TABLE t_deferrable (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED, v text)");
            st.execute("ALTER TABLE t_deferrable REPLICA IDENTITY FULL");
            st.execute("INSERT INTO t_deferrable SELECT g, 'row ' || g FROM generate_series(1, 20) g");
        }
        Path folder = servers.newFolder(prefix);
        String name = prefix + "_" + db.replaceAll("[^a-z0-9]", "");
        EmbeddedSchemaRegistry registry = avro ? EmbeddedSchemaRegistry.start(folder.resolve("registry.log")) : null;
        try (ConnectCluster cluster = ConnectCluster.start(servers, name, 1)) {
            String kafka = avro ? "format: avro, schemaRegistry: { url: \"" + registry.registryUrl() + "\", converter: apicurio }" : "";
            Path file = TestMigrations.configFile(folder, ConnectClusterIT.connectYaml(servers, name, db, folder.resolve("work"),
                    cluster.worker(0).rest(), kafka));
            MigrationConfig config = MigrationConfigLoader.load(file);
            TestMigrations.CliRun check = TestMigrations.cli("check", "-c", file.toString());
            assertThat(check.out()).contains("io.pgshift.sink.connect.PgApplierSinkConnector is installed",
                    "io.debezium.connector.postgresql.PostgresConnector is installed", "Kafka Connect ");
            try (Coordinator coordinator = Coordinator.start(config, PipelineOptions.all())) {
                awaitReady(coordinator);
                try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                    st.execute(SqlResource.load("/io/pgshift/app/types/changes.sql"));
                    st.execute("UPDATE t_deferrable SET id = CASE id WHEN 1 THEN 2 ELSE 1 END WHERE id IN (1, 2)");
                    st.execute("UPDATE t_deferrable SET id = id + 1");
                    st.execute("UPDATE t_deferrable SET v = v || ' renumbered' WHERE id % 3 = 0");
                }
                await("the changes applied through Kafka Connect").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                    assertThat(coordinator.status().phase()).as("%s", coordinator.status().reason()).isNotEqualTo(Phase.FAILED);
                    try (Connection s = servers.source().connect(db); Connection t = servers.target().connect(db)) {
                        return TableComparator.compare(s, t, PUBLIC).mismatches().isEmpty();
                    }
                });
                TestMigrations.CliRun run = TestMigrations.cli("cutover", "-c", file.toString(), "--cleanup", "--wait", "--timeout", "3m");
                assertThat(run.exitCode()).as("cutover: %s%s", run.out(), run.err()).isZero();
                CutoverReport report = coordinator.completion().join();
                assertThat(report.tables).isNotEmpty().allMatch(t -> t.equal());
            }
            if (avro) {
                assertThat(JSON.readTree(get(registry.confluentUrl() + "/subjects")).size()).as("subjects the converters registered").isGreaterThan(10);
            }
        }
        finally {
            if (registry != null) {
                registry.close();
            }
        }
        TestMigrations.assertTargetEqualsSource(servers, db, PUBLIC);
    }

    /**
     * The coordinator is the control plane only: stopped, it leaves the connectors streaming; started again, it finds them with their
     * configuration (no restart), resumes its status and validation, and cuts over.
     */
    @Test
    void aCoordinatorStartedAgainTakesItsRunningConnectorsOver() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("ctakeover");
        try (Connection c = servers.source().connect(db)) {
            Ledger.create(c, 20_000);
        }
        Path folder = servers.newFolder("ctakeover");
        String name = "to_" + db.replaceAll("[^a-z0-9]", "");
        Ledger writer = Ledger.start(servers.source().endpoint("source"), db);
        try (ConnectCluster cluster = ConnectCluster.start(servers, name, 1)) {
            Path file = TestMigrations.configFile(folder, ConnectClusterIT.connectYaml(servers, name, db, folder.resolve("work"),
                    cluster.worker(0).rest(), "").replace("sinkTasks: 2 }", "sinkTasks: 2, atCompletion: stop }"));
            MigrationConfig config = MigrationConfigLoader.load(file);
            try (Coordinator coordinator = Coordinator.start(config, PipelineOptions.all())) {
                awaitReady(coordinator);
            }
            // No coordinator: the connectors go on streaming.
            String sink = config.names().connectorName(db) + ".sink";
            long applied = appliedRecords(servers, db);
            await("the sink applying without a coordinator").atMost(Duration.ofMinutes(1)).until(() -> appliedRecords(servers, db) > applied + 100);
            try (Coordinator coordinator = Coordinator.start(config, PipelineOptions.all())) {
                awaitReady(coordinator);
                assertThat(coordinator.status().databases().get(0).connect().sinkState()).isEqualTo("RUNNING");
                TestMigrations.CliRun run = TestMigrations.cli("cutover", "-c", file.toString(), "--freeze-source", "--wait", "--timeout", "3m");
                assertThat(run.exitCode()).as("cutover: %s%s", run.out(), run.err()).isZero();
                writer.stop();
                assertThat(writer.failure()).as("writer failure").isNull();
            }
            // atCompletion: stop keeps them, stopped; cleanup deletes them, then drops the slot they let go of.
            assertThat(JSON.readTree(get(cluster.worker(0).rest() + "/connectors/" + sink + "/status")).at("/connector/state").asText()).isEqualTo("STOPPED");
            TestMigrations.CliRun cleanup = TestMigrations.cli("cleanup", "-c", file.toString());
            assertThat(cleanup.exitCode()).as("cleanup: %s%s", cleanup.out(), cleanup.err()).isZero();
            assertThat(cleanup.out()).contains("Deleted connector " + sink);
            assertThat(JSON.readTree(get(cluster.worker(0).rest() + "/connectors")).toString()).doesNotContain(sink);
            try (Connection s = servers.source().connect(db); Statement st = s.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()")) {
                rs.next();
                assertThat(rs.getInt(1)).as("slots left").isZero();
            }
        }
        finally {
            writer.stop();
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    /**
     * A coordinator stopped while its load still runs leaves a Debezium connector streaming from that load's slot: started again, it
     * deletes that connector with its offsets, loads again from a new snapshot, and the migration completes exactly.
     */
    @Test
    void aCoordinatorStoppedDuringTheLoadDeletesItsConnectorAndLoadsAgain() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("creload");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE big (id bigint PRIMARY KEY, payload text)");
            st.execute("INSERT INTO big SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 1500000) g");
            st.execute("ANALYZE big");
        }
        Path folder = servers.newFolder("creload");
        String name = "rl_" + db.replaceAll("[^a-z0-9]", "");
        try (ConnectCluster cluster = ConnectCluster.start(servers, name, 1)) {
            Path file = TestMigrations.configFile(folder, ConnectClusterIT.connectYaml(servers, name, db, folder.resolve("work"),
                    cluster.worker(0).rest(), "") + "load: { readers: 1, chunkMegabytes: 4 }\n");
            MigrationConfig config = MigrationConfigLoader.load(file);
            io.pgshift.app.connect.ConnectClient rest = new io.pgshift.app.connect.ConnectClient(config.connect());
            String source = config.names().connectorName(db);
            try (Coordinator first = Coordinator.start(config, PipelineOptions.all())) {
                // Its configuration is there the moment the coordinator puts it, while the load has barely begun.
                await("the Debezium connector created while the load runs").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(20))
                        .until(() -> rest.config(source).isPresent());
                assertThat(first.pipeline().loaded()).as("load still running when the coordinator stops").isNotDone();
            }
            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                st.execute("UPDATE big SET payload = 'between the runs' WHERE id % 1000 = 0");
            }
            try (Coordinator second = Coordinator.start(config, PipelineOptions.all())) {
                assertThat(second.pipeline().lanes().get(0).capture().loadPlan()).isEqualTo(io.pgshift.source.LoadPlan.RESTART);
                awaitReady(second);
                try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                    st.execute("DELETE FROM big WHERE id % 997 = 0");
                }
                TestMigrations.CliRun run = TestMigrations.cli("cutover", "-c", file.toString(), "--cleanup", "--wait", "--timeout", "3m");
                assertThat(run.exitCode()).as("cutover: %s%s", run.out(), run.err()).isZero();
            }
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    /** What would not work on the cluster is refused before any row moves, at the migration.yaml key behind it. */
    @Test
    void aBadConfigurationIsRefusedAtItsKeyBeforeAnythingMoves() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("cbad");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE items (id int PRIMARY KEY, label text)");
            st.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g");
            st.execute("CREATE SCHEMA \"Ünïcode\"; CREATE TABLE \"Ünïcode\".\"tâble\" (id int PRIMARY KEY)");
            st.execute("CREATE TABLE \"Ümlaut\" (id int PRIMARY KEY, \"Größe\" int)");
        }
        Path folder = servers.newFolder("cbad");
        String name = "bad_" + db.replaceAll("[^a-z0-9]", "");
        try (ConnectCluster cluster = ConnectCluster.start(servers, name, 1)) {
            String all = ConnectClusterIT.connectYaml(servers, name, db, folder.resolve("work"), cluster.worker(0).rest(), "");
            String items = all.replace("tables: { include: [\"public.*\"] }", "tables: { include: [\"public.items\"] }");

            // A Debezium setting the connector refuses: Connect's validation names it, pgshift names its own key.
            assertRefused(servers, db, folder, items + "debezium: { \"snapshot.fetch.size\": \"many\" }\n", "debezium.snapshot.fetch.size",
                    "snapshot.fetch.size");
            // A table that does not exist.
            assertRefused(servers, db, folder, all.replace("tables: { include: [\"public.*\"] }",
                    "tables: { include: [\"public.items\", \"public.nosuch\"] }"), "tables.include", "public.nosuch");
            // Tables whose topics Debezium's connector names otherwise.
            assertRefused(servers, db, folder, all.replace("tables: { include: [\"public.*\"] }", "tables: { include: [\"*.*\"] }"),
                    "tables.exclude", "Ünïcode.tâble");
            // A password the server refuses.
            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                st.execute("DO $$ BEGIN CREATE ROLE pgshift_pw LOGIN REPLICATION PASSWORD 'right-one'; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
                try (ResultSet rs = st.executeQuery("SHOW hba_file")) {
                    rs.next();
                    Path hba = Path.of(rs.getString(1));
                    String rules = Files.readString(hba);
                    if (!rules.contains("pgshift_pw")) {
                        Files.writeString(hba, "host all pgshift_pw 127.0.0.1/32 scram-sha-256\n" + rules);
                    }
                }
                st.execute("SELECT pg_reload_conf()");
            }
            assertRefused(servers, db, folder, items.replace("source: { host: 127.0.0.1, port: " + servers.source().port() + ", user: postgres }",
                    "source: { host: 127.0.0.1, port: " + servers.source().port() + ", user: pgshift_pw, password: \"wrong-one\" }"),
                    "source.password", "pgshift_pw");
            // Connect that does not answer.
            assertRefused(servers, db, folder, items.replace(cluster.worker(0).rest(), "http://127.0.0.1:" + io.pgshift.testkit.EmbeddedPostgres.freePort()),
                    null, "Cannot reach Kafka Connect");
            assertThat(JSON.readTree(get(cluster.worker(0).rest() + "/connectors")).size()).as("connectors created").isZero();
        }
        try (Connection t = servers.target().connect(db); Statement st = t.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'pgshift')")) {
            rs.next();
            assertThat(rs.getInt(1)).as("tables created on the target").isZero();
        }
    }

    private static void assertRefused(TestServers servers, String db, Path folder, String yaml, String key, String detail) throws Exception {
        Path file = TestMigrations.configFile(folder, yaml);
        MigrationConfig config = MigrationConfigLoader.load(file);
        var refused = assertThatThrownBy(() -> {
            try (Coordinator c = Coordinator.start(config, PipelineOptions.all())) {
                // started: not refused
            }
        });
        if (key != null) {
            refused.isInstanceOf(ConfigException.class).hasMessageContaining("'" + key + "'");
        }
        refused.hasMessageContaining(detail).hasMessageNotContaining("right-one").hasMessageNotContaining("wrong-one");
        try (Connection s = servers.source().connect(db); Statement st = s.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()")) {
            rs.next();
            assertThat(rs.getInt(1)).as("replication slots on the source after %s", key).isZero();
        }
    }

    private static long appliedRecords(TestServers servers, String db) throws Exception {
        try (Connection t = servers.target().connect(db); Statement st = t.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(sum(records_applied), 0) FROM pgshift.apply_progress")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void awaitReady(Coordinator coordinator) {
        await("ready to cut over").atMost(Duration.ofMinutes(4)).until(() -> {
            assertThat(coordinator.status().phase()).as("%s", coordinator.status().reason()).isNotEqualTo(Phase.FAILED);
            return coordinator.status().phase() == Phase.READY_TO_CUTOVER;
        });
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET %s: %s", url, r.body()).isEqualTo(200);
        return r.body();
    }
}
