package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.coordinator.ControlClient;
import io.pgshift.app.coordinator.Coordinator;
import io.pgshift.app.coordinator.Phase;
import io.pgshift.app.pipeline.PipelineOptions;
import io.pgshift.testkit.TestServers;

/** The coordinator of a running migration: bad control records rejected, status over HTTP, metrics, the web page, pgshift status. */
class CoordinatorIT {

    @Test
    void badControlMessagesAreRejectedWithAStatusEventAndStreamingGoesOn() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("control");
        createItems(servers, db, 500);
        String name = "ctl_" + db.replaceAll("[^a-z0-9]", "");
        MigrationConfig config = config(servers, name, db);
        try (Coordinator coordinator = Coordinator.start(config, PipelineOptions.all());
             ControlClient watcher = new ControlClient(config);
             KafkaProducer<byte[], byte[]> producer = producer(servers)) {
            await("ready").atMost(Duration.ofMinutes(3)).until(() -> coordinator.status().phase() == Phase.READY_TO_CUTOVER);
            watcher.latestStatus();
            String topic = config.names().controlTopic();
            String valid = "{\"version\":1,\"migration\":\"" + name + "\",\"id\":\"v-1\",\"command\":\"validate\"}";
            List<String> records = List.of(
                    "cut over now!",
                    "{\"version\":1,\"migration\":\"someone_else\",\"id\":\"x-1\",\"command\":\"cutover\",\"freezeSource\":true}",
                    "{\"version\":1,\"migration\":\"" + name + "\",\"id\":\"x-2\",\"command\":\"cutover\",\"freezeSource\":\"yes\"}",
                    "{\"version\":7,\"migration\":\"" + name + "\",\"id\":\"x-3\",\"command\":\"cutover\"}",
                    "{\"version\":1,\"migration\":\"" + name + "\",\"id\":\"x-4\",\"command\":\"selfdestruct\"}",
                    valid,
                    valid);
            for (String r : records) {
                producer.send(new ProducerRecord<>(topic, r.getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            }
            List<String> rejections = new ArrayList<>();
            List<String> validations = new ArrayList<>();
            watcher.await(r -> rejections.size() >= 6 && !validations.isEmpty(), r -> {
                if ("command-rejected".equals(ControlClient.text(r, "event"))) {
                    rejections.add(ControlClient.text(r, "message"));
                }
                if ("validation".equals(ControlClient.text(r, "event"))) {
                    validations.add(ControlClient.text(r, "message"));
                }
            }, Duration.ofMinutes(2));
            assertThat(rejections).hasSize(6);
            assertThat(String.join("\n", rejections)).contains("is not JSON", "for migration 'someone_else', not '" + name + "'",
                    "'freezeSource' must be true or false", "version 7 is not supported", "unknown command 'selfdestruct'",
                    "command id v-1 was already received");
            assertThat(validations).singleElement().asString().contains("all 1 tables equal");
            assertThat(coordinator.status().phase()).isIn(Phase.READY_TO_CUTOVER, Phase.INCREMENTAL_SYNC);
            assertThat(coordinator.status().cutover()).as("no cutover started").isNull();

            // Streaming went on.
            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                st.executeUpdate("UPDATE items SET note = 'after the bad commands' WHERE id <= 50");
                st.executeUpdate("INSERT INTO items SELECT g, 'later ' || g FROM generate_series(501, 600) g");
            }
            coordinator.pipeline().awaitCaughtUp(Duration.ofMinutes(1));
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    @Test
    void statusMetricsHealthAndTheWebPageAnswerWhileItRuns() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("web");
        createItems(servers, db, 3000);
        String name = "web_" + db.replaceAll("[^a-z0-9]", "");
        Path folder = servers.newFolder("web");
        Path file = TestMigrations.configFile(folder, TestMigrations.yaml(servers, name, db, folder.resolve("work")));
        MigrationConfig config = MigrationConfigLoader.load(file);
        HttpClient http = HttpClient.newHttpClient();
        try (Coordinator coordinator = Coordinator.start(config, PipelineOptions.all())) {
            String base = "http://127.0.0.1:" + coordinator.httpPort();
            await("ready").atMost(Duration.ofMinutes(3)).until(() -> coordinator.status().phase() == Phase.READY_TO_CUTOVER);
            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                st.executeUpdate("UPDATE items SET note = 'changed' WHERE id <= 10");
            }
            coordinator.pipeline().awaitCaughtUp(Duration.ofMinutes(1));
            await("the change counted").atMost(Duration.ofSeconds(10)).until(() -> get(http, base + "/status").body().contains("\"updates\" : 10"));

            HttpResponse<String> status = get(http, base + "/status");
            assertThat(status.statusCode()).isEqualTo(200);
            assertThat(status.headers().firstValue("Content-Type")).hasValue("application/json");
            JsonNode json = new ObjectMapper().readTree(status.body());
            assertThat(json.path("phase").asText()).isEqualTo("READY_TO_CUTOVER");
            assertThat(json.path("pendingChanges").asLong()).isZero();
            assertThat(json.has("latencyMs")).isTrue();
            assertThat(json.path("pendingWalBytes").asLong()).isGreaterThanOrEqualTo(0);
            JsonNode table = json.path("databases").get(0).path("tables").get(0);
            assertThat(table.path("table").asText()).isEqualTo("public.items");
            assertThat(table.path("loadState").asText()).isEqualTo("completed");
            assertThat(table.path("rowsLoaded").asLong()).isEqualTo(3000);
            assertThat(table.path("updates").asLong()).isEqualTo(10);

            HttpResponse<String> metrics = get(http, base + "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("pgshift_rows_loaded{database=\"" + db + "\",migration=\"" + name + "\",table=\"public.items\"} 3000.0",
                    "pgshift_pending_changes{", "pgshift_source_lag_bytes{", "pgshift_apply_latency_milliseconds{",
                    "pgshift_changes_applied_total{", "pgshift_phase{migration=\"" + name + "\",phase=\"READY_TO_CUTOVER\"} 1.0");
            assertThat(get(http, base + "/healthz").statusCode()).isEqualTo(200);

            // Standard Kafka tools see the applier's consumer group with no lag.
            try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                    Map.of("bootstrap.servers", servers.bootstrapServers()))) {
                String group = config.names().applierGroup(db);
                await("applier group offsets committed").atMost(Duration.ofSeconds(20)).until(() -> {
                    var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                    var ends = coordinator.pipeline().endOffsets(List.copyOf(committed.keySet().stream().map(tp -> tp.topic()).distinct().toList()));
                    return !committed.isEmpty() && committed.entrySet().stream().allMatch(e -> e.getValue().offset() == ends.get(e.getKey()));
                });
            }

            // The page renders in a real browser: the script fetched /status and drew the table.
            Path shot = Path.of("target", "status-page.png").toAbsolutePath();
            Files.deleteIfExists(shot);
            String dom = chromium(folder, "--dump-dom", base + "/");
            assertThat(dom).contains("public.items", "READY TO CUTOVER", "completed");
            chromium(folder, "--screenshot=" + shot, base + "/");
            assertThat(shot).exists();
            assertThat(Files.size(shot)).as("screenshot bytes").isGreaterThan(20_000);
            byte[] png = Files.readAllBytes(shot);
            assertThat(new String(png, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");

            // pgshift status, from the status topic.
            TestMigrations.CliRun text = TestMigrations.cli("status", "-c", file.toString());
            assertThat(text.exitCode()).as(text.err()).isZero();
            assertThat(text.out()).contains("Migration " + name + ": READY_TO_CUTOVER", "public.items", "completed");
            TestMigrations.CliRun asJson = TestMigrations.cli("status", "-c", file.toString(), "--json");
            JsonNode parsed = new ObjectMapper().readTree(asJson.out());
            assertThat(parsed.path("phase").asText()).isEqualTo("READY_TO_CUTOVER");
            assertThat(parsed.path("databases").get(0).path("tables").get(0).path("rowsLoaded").asLong()).isEqualTo(3000);

            // pgshift validate asks the running coordinator.
            TestMigrations.CliRun validate = TestMigrations.cli("validate", "-c", file.toString());
            assertThat(validate.exitCode()).as(validate.out() + validate.err()).isZero();
            assertThat(validate.out()).contains("Asked the running migration to validate", "public.items", "All 1 tables are equal.");
            // ... and the status says what the table's last pass found.
            await("validated in the status").atMost(Duration.ofSeconds(10)).until(() -> TestMigrations.cli("status", "-c", file.toString()).out()
                    .contains("equal in 1 chunks at LSN"));
        }
        // With no migration running, pgshift validate compares directly; a target row changed behind pgshift's back shows.
        TestMigrations.CliRun direct = TestMigrations.cli("validate", "-c", file.toString());
        assertThat(direct.exitCode()).as(direct.out() + direct.err()).isZero();
        assertThat(direct.out()).contains("No running migration", "All 1 tables are equal.");
        TestMigrations.assertTargetEqualsSource(servers, db);
        try (Connection t = servers.target().connect(db); Statement st = t.createStatement()) {
            st.executeUpdate("DELETE FROM items WHERE id = 42");
        }
        TestMigrations.CliRun differs = TestMigrations.cli("validate", "-c", file.toString());
        assertThat(differs.exitCode()).isEqualTo(1);
        assertThat(differs.out()).contains("public.items", "2,999", "DIFFERS");
    }

    private static void createItems(TestServers servers, String db, int rows) throws Exception {
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE items (id int PRIMARY KEY, note text)");
            st.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, " + rows + ") g");
        }
    }

    private static MigrationConfig config(TestServers servers, String name, String db) throws Exception {
        return new MigrationConfigLoader(System::getenv).parse(TestMigrations.yaml(servers, name, db, servers.newFolder(name).resolve("work")), name);
    }

    private static KafkaProducer<byte[], byte[]> producer(TestServers servers) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers.bootstrapServers()), new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Runs Debian's chromium headless (as root it needs --no-sandbox) and returns what it printed. */
    private static String chromium(Path folder, String action, String url) throws Exception {
        Process p = new ProcessBuilder("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,900",
                "--virtual-time-budget=5000", "--user-data-dir=" + folder.resolve("chromium-profile"), action, url)
                .redirectError(folder.resolve("chromium.log").toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        assertThat(p.exitValue()).as("chromium exit code; see %s", folder.resolve("chromium.log")).isZero();
        return out;
    }
}
