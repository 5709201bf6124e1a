package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.connect.ConnectClient;
import io.pgshift.app.connect.ConnectStreaming;
import io.pgshift.app.coordinator.Coordinator;
import io.pgshift.app.coordinator.CutoverReport;
import io.pgshift.app.coordinator.MigrationStatus;
import io.pgshift.app.coordinator.Phase;
import io.pgshift.app.pipeline.PipelineOptions;
import io.pgshift.core.SqlResource;
import io.pgshift.testkit.EmbeddedSchemaRegistry;
import io.pgshift.testkit.TestServers;

/**
 * The whole migration on a Kafka Connect cluster of two distributed workers, in Avro through a real schema registry: pgshift copies the
 * schema and bulk-loads, then creates the Debezium source and pgshift sink connectors through the REST API; a writer keeps changing
 * the source; one worker stops mid-stream and its tasks move to the other; then {@code pgshift cutover --freeze-source --wait} through
 * the control topic completes, with target == source and every sequence equal, and the connectors are deleted.
 */
class ConnectClusterIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The registry's basic-auth password (the test registry does not ask for it; the converters send it): never in a log line. */
    private static final String REGISTRY_SECRET = "registry-secret-7f3a";

    @Test
    void theWholeMigrationRunsOnATwoWorkerConnectClusterInAvroThroughAWorkerLossToACompletedCutover() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("cluster");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute(SqlResource.load("/io/pgshift/app/cutover/shop.sql"));
        }
        Path folder = servers.newFolder("cluster");
        String name = "cl_" + db.replaceAll("[^a-z0-9]", "");
        ShopWriter writer = null;
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs = new ch.qos.logback.core.read.ListAppender<>();
        logs.start();
        root.addAppender(logs);
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(folder.resolve("registry.log"));
             ConnectCluster cluster = ConnectCluster.start(servers, name, 2)) {
            Path file = TestMigrations.configFile(folder, connectYaml(servers, name, db, folder.resolve("work"), cluster.worker(0).rest(),
                    "format: avro, schemaRegistry: { url: \"" + registry.registryUrl() + "\", converter: apicurio, user: pgshift, password: \""
                            + REGISTRY_SECRET + "\" }"));
            MigrationConfig config = MigrationConfigLoader.load(file);
            ShopWriter shop = new ShopWriter(servers.source().endpoint("source"), db).start("shop-writer");
            writer = shop;
            try (Coordinator coordinator = Coordinator.start(config, PipelineOptions.all())) {
                await("ready to cut over").atMost(Duration.ofMinutes(4)).until(() -> {
                    assertThat(coordinator.status().phase()).as("%s", coordinator.status().reason()).isNotEqualTo(Phase.FAILED);
                    return coordinator.status().phase() == Phase.READY_TO_CUTOVER;
                });
                MigrationStatus.Database status = coordinator.status().databases().get(0);
                ConnectStreaming.View connect = status.connect();
                assertThat(connect).isNotNull();
                assertThat(connect.sourceState()).isEqualTo("RUNNING");
                assertThat(connect.sinkState()).isEqualTo("RUNNING");
                assertThat(connect.consumerGroup()).isEqualTo("connect-" + connect.sinkConnector());
                assertThat(connect.partitions()).extracting(ConnectStreaming.PartitionLag::topic).contains(config.names().tableTopic(db,
                        new io.pgshift.core.TableId("public", "orders")));
                String metrics = get("http://127.0.0.1:" + coordinator.httpPort() + "/metrics");
                assertThat(metrics).contains("pgshift_connect_sink_lag_records{", "group=\"" + connect.consumerGroup() + "\"",
                        "pgshift_database_pending_changes{");
                JsonNode page = JSON.readTree(get("http://127.0.0.1:" + coordinator.httpPort() + "/status"));
                assertThat(page.at("/databases/0/connect/partitions").size()).isPositive();
                TestMigrations.CliRun statusRun = TestMigrations.cli("status", "-c", file.toString());
                assertThat(statusRun.out()).contains("Kafka Connect: source " + connect.sourceConnector() + " RUNNING", "consumer group " + connect.consumerGroup());

                // One worker stops mid-stream: its tasks move to the other, and the changes keep coming.
                ConnectClient rest = new ConnectClient(config.connect());
                String leaving = cluster.worker(1).id();
                await("a task on the second worker").atMost(Duration.ofMinutes(1)).until(() -> onWorker(rest, connect, leaving));
                long before = shop.transactions();
                await("writes while streaming").atMost(Duration.ofMinutes(1)).until(() -> shop.transactions() > before + 200);
                cluster.worker(1).stop();
                await("every task running on the remaining worker").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() ->
                        allRunningOn(rest, connect.sourceConnector(), cluster.worker(0).id()) && allRunningOn(rest, connect.sinkConnector(),
                                cluster.worker(0).id()));
                long moved = shop.transactions();
                await("writes after the worker left").atMost(Duration.ofMinutes(1)).until(() -> shop.transactions() > moved + 200);

                // The online validation passes every table while the writer goes on; the coordinator reads the applied changes up to the
                // sink's watermarks, so that the cutover compares only the rows changed since.
                await("every table validated online").atMost(Duration.ofMinutes(2)).until(() -> coordinator.status().databases().get(0).tables()
                        .stream().allMatch(t -> t.validation() != null && "equal".equals(t.validation().state())));
                long validated = shop.transactions();
                await("writes after the online pass").atMost(Duration.ofMinutes(1)).until(() -> shop.transactions() > validated + 100);

                TestMigrations.CliRun run = TestMigrations.cli("cutover", "-c", file.toString(), "--freeze-source", "--cleanup", "--wait", "--timeout", "4m");
                assertThat(run.exitCode()).as("cutover exit code; out:\n%s\nerr:\n%s", run.out(), run.err()).isZero();
                assertThat(run.out()).contains("Cutover COMPLETED", "fence of " + db + " at LSN");
                writer.stop();
                assertThat(writer.failure()).as("writer failure").isNull();
                CutoverReport report = coordinator.completion().join();
                assertThat(report.tables).hasSize(5).allMatch(t -> t.equal());
                assertThat(report.validation.mode()).isEqualTo("changed");
                assertThat(report.validation.cutoverChangedRows()).as("rows changed since the online pass, compared by key").isPositive();
                assertThat(report.tables).as("tables compared by their changed rows").anyMatch(t -> t.basis().contains("rows changed since"));
                assertThat(coordinator.status().databases().get(0).tables()).as("changes the sink applied, counted per table")
                        .anyMatch(t -> t.inserts() > 0 && t.updates() > 0);
                assertThat(report.sequences).isNotEmpty();
                assertThat(coordinator.status().phase()).isEqualTo(Phase.COMPLETED);
                assertThat(JSON.readTree(get(cluster.worker(0).rest() + "/connectors")).size()).as("connectors left on the cluster").isZero();
                try (Connection c = servers.source().connect(db); Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()")) {
                    rs.next();
                    assertThat(rs.getInt(1)).as("slots left after cutover --cleanup").isZero();
                }
            }
            // The Avro converters registered the records' schemas in the registry.
            assertThat(JSON.readTree(get(registry.confluentUrl() + "/subjects")).size()).isGreaterThan(2);
        }
        finally {
            root.detachAppender(logs);
            if (writer != null) {
                writer.stop();
            }
        }
        assertThat(logs.list).as("log lines").isNotEmpty().noneMatch(e -> e.getFormattedMessage().contains(REGISTRY_SECRET)
                || e.getThrowableProxy() != null && e.getThrowableProxy().getMessage() != null && e.getThrowableProxy().getMessage().contains(REGISTRY_SECRET));
        TestMigrations.assertTargetEqualsSource(servers, db);
        assertThat(sequences(servers.target().connect(db))).isEqualTo(sequences(servers.source().connect(db)));
    }

    /** The yaml of a migration through the Connect cluster at {@code rest}, with these extra {@code kafka} settings. */
    static String connectYaml(TestServers servers, String name, String db, Path work, String rest, String kafka) {
        return TestMigrations.yaml(servers, name, db, work)
                .replace("kafka: { bootstrap: \"" + servers.bootstrapServers() + "\" }", "kafka: { bootstrap: \"" + servers.bootstrapServers() + "\""
                        + (kafka.isEmpty() ? "" : ", " + kafka) + " }")
                + "connect: { url: \"" + rest + "\", sinkTasks: 2 }\n";
    }

    private static boolean onWorker(ConnectClient rest, ConnectStreaming.View view, String worker) {
        return java.util.stream.Stream.of(view.sourceConnector(), view.sinkConnector())
                .flatMap(n -> rest.status(n).map(s -> s.tasks().stream()).orElseGet(java.util.stream.Stream::empty))
                .anyMatch(t -> t.workerId().equals(worker) && "RUNNING".equals(t.state()));
    }

    private static boolean allRunningOn(ConnectClient rest, String connector, String worker) {
        return rest.status(connector).map(s -> s.running() && s.tasks().stream().allMatch(t -> t.workerId().equals(worker))).orElse(false);
    }

    /** Every sequence's last value and is_called, by name. */
    static Map<String, String> sequences(Connection c) throws Exception {
        try (c; Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences WHERE schemaname <> 'pgshift'")) {
            Map<String, String> out = new TreeMap<>();
            while (rs.next()) {
                out.put(rs.getString(1), rs.getString(2));
            }
            return out;
        }
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET %s: %s", url, r.body()).isEqualTo(200);
        return r.body();
    }
}
