package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.connect.cli.ConnectDistributed;
import org.apache.kafka.connect.runtime.Connect;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.pgshift.app.schema.SchemaMigrator;
import io.pgshift.app.schema.SchemaSection;
import io.pgshift.core.SqlResource;
import io.pgshift.core.TableId;
import io.pgshift.core.TableSelection;
import io.pgshift.core.catalog.Catalog;
import io.pgshift.core.catalog.TableInfo;
import io.pgshift.core.validation.TableComparator;
import io.pgshift.testkit.EmbeddedPostgres;
import io.pgshift.testkit.TestServers;

/**
 * A real Kafka Connect distributed worker (in-process) runs the Debezium PostgreSQL source connector and
 * pgshift's sink connector, configured from the examples in {@code config/connect/}: a database with a table
 * per type family migrates by Debezium's snapshot, keeps in sync while it changes, and ends equal to the source;
 * and a database bulk-loaded by {@code pgshift migrate --skip-streaming} under concurrent writes is streamed on
 * from the load's slot by the connectors and ends equal to the source.
 */
class ConnectWorkerIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void debeziumSourceAndPgshiftSinkOnAConnectWorkerKeepTheTargetEqualToTheSource() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("connect");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute(SqlResource.load("/io/pgshift/app/types/schema.sql"));
            // Debezium names the topic of a table with a non-ASCII name differently in the snapshot and in the
            // stream (its pgoutput decoder mangles the name), which would split the table over two topics.
            // pgshift's own capture names topics itself; on Kafka Connect such tables are left out (see the README).
            st.execute("DROP SCHEMA \"Ünïcode Schema\" CASCADE");
        }
        Path work = servers.newFolder("connect");
        // On Kafka Connect, the whole schema goes in first: the sink applies changes as soon as they arrive.
        SchemaMigrator schema = new SchemaMigrator(servers.source().endpoint("source"), db, servers.target().endpoint("target"), db,
                TableSelection.all(), work, 1);
        schema.apply(SchemaSection.PRE_DATA);
        schema.apply(SchemaSection.POST_DATA);
        String name = "connect_" + db.replaceAll("[^a-z0-9]", "");

        List<String> topics = new ArrayList<>();
        try (Connection c = servers.source().connect(db)) {
            for (TableInfo t : Catalog.selectedTables(c, TableSelection.all())) {
                topics.add(debeziumTopic("pgshift." + name, t.id().schema(), t.id().table()));
            }
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers.bootstrapServers()))) {
            admin.createTopics(topics.stream().map(t -> new NewTopic(t, 1, (short) 1)).toList()).all().get();
        }

        Worker worker = Worker.start(servers, name);
        String rest = worker.rest();
        try {
            Map<String, String> vars = connectorVars(servers, db, name, topics,
                    new Slot("pgshift_" + name, "pgshift_" + name, "all_tables", "pgshift." + name, "initial"));

            // Connect's validate endpoint shows a bad value at its key.
            JsonNode validation = JSON.readTree(send("PUT", rest + "/connector-plugins/PgApplierSinkConnector/config/validate",
                    "{\"name\":\"v\",\"connector.class\":\"io.pgshift.sink.connect.PgApplierSinkConnector\",\"topics\":\"t\",\"target.hostname\":\"h\","
                            + "\"target.port\":\"70000\",\"target.user\":\"u\",\"target.database\":\"d\"}"));
            assertThat(validation.get("error_count").asInt()).as("%s", validation).isEqualTo(1);
            assertThat(errorsOf(validation, "target.port")).singleElement().asString().contains("70000");

            send("POST", rest + "/connectors", template("config/connect/debezium-source.json", vars));
            send("POST", rest + "/connectors", template("config/connect/pgshift-sink.json", vars));
            awaitEqual(servers, db, "the snapshot");

            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                st.execute(SqlResource.load("/io/pgshift/app/types/changes.sql"));
            }
            awaitEqual(servers, db, "the streamed changes");
            JsonNode status = JSON.readTree(send("GET", rest + "/connectors/pgshift-sink-" + name + "/status", null));
            assertThat(status.at("/connector/state").asText()).isEqualTo("RUNNING");
            status.get("tasks").forEach(t -> assertThat(t.get("state").asText()).as("sink task %s", t).isEqualTo("RUNNING"));
        }
        finally {
            worker.stop(servers, db, "pgshift_" + name);
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    @Test
    void aSlotLeftByMigrateSkipStreamingIsStreamedOnByTheDebeziumConnectorOnKafkaConnect() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("handover");
        try (Connection c = servers.source().connect(db)) {
            Ledger.create(c, 60_000); // and 12,000 entries
        }
        String name = "ho_" + db.replaceAll("[^a-z0-9]", "");
        Path work = servers.newFolder("handover");
        Path file = TestMigrations.configFile(work, TestMigrations.yaml(servers, name, db, work));
        io.pgshift.core.MigrationNames names = new io.pgshift.core.MigrationNames(name);
        String slot = names.slotName(db);
        List<String> topics = List.of(names.tableTopic(db, new TableId("public", "accounts")), names.tableTopic(db, new TableId("public", "entries")));

        // The source is written throughout: while pgshift loads, between pgshift and the connectors, and while they stream.
        Ledger writer = Ledger.start(servers.source().endpoint("source"), db);
        Worker worker = null;
        try {
            TestMigrations.CliRun run = TestMigrations.cli("migrate", "-c", file.toString(), "--skip-check", "--skip-streaming");
            assertThat(run.exitCode()).as("migrate --skip-streaming: %s%s", run.out(), run.err()).isZero();
            assertThat(run.out()).contains("\"snapshot.mode\": \"no_data\"", "\"slot.name\": \"" + slot + "\"",
                    "\"publication.name\": \"" + names.publicationName(db) + "\"", "\"topic.prefix\": \"" + names.connectorName(db) + "\"");
            try (Connection c = servers.source().connect(db); Statement st = c.createStatement();
                 java.sql.ResultSet rs = st.executeQuery("SELECT active FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
                assertThat(rs.next()).as("slot %s kept", slot).isTrue();
                assertThat(rs.getBoolean(1)).as("slot in use").isFalse();
            }
            assertThat(endOffsets(servers, topics)).as("records pgshift wrote to the table topics (it never streamed)").isZero();
            Thread.sleep(1000); // changes that wait in the slot only

            worker = Worker.start(servers, name);
            Map<String, String> vars = connectorVars(servers, db, name, topics,
                    new Slot(slot, names.publicationName(db), "disabled", names.connectorName(db), "no_data"));
            send("POST", worker.rest() + "/connectors", template("config/connect/debezium-source.json", vars));
            send("POST", worker.rest() + "/connectors", template("config/connect/pgshift-sink.json", vars));
            Thread.sleep(3000);
            writer.stop();
            assertThat(writer.failure()).as("writer failure").isNull();
            awaitEqual(servers, db, "the changes made since the load");
            long records = endOffsets(servers, topics);
            assertThat(records).as("change records Debezium wrote (a snapshot of its own would write one per row: 72,000 at least; the writer made"
                    + " %d transactions)", writer.transactions()).isPositive().isLessThan(72_000);
        }
        finally {
            writer.stop();
            if (worker != null) {
                worker.stop(servers, db, slot);
            }
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    private static long endOffsets(TestServers servers, List<String> topics) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers.bootstrapServers()))) {
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
            for (String t : topics) {
                admin.describeTopics(List.of(t)).allTopicNames().get().get(t).partitions()
                        .forEach(p -> latest.put(new org.apache.kafka.common.TopicPartition(t, p.partition()), org.apache.kafka.clients.admin.OffsetSpec.latest()));
            }
            return admin.listOffsets(latest).all().get().values().stream().mapToLong(r -> r.offset()).sum();
        }
    }

    /** Where the source connector streams from and what it writes: its slot, publication, topic prefix and snapshot mode. */
    private record Slot(String name, String publication, String publicationAutocreate, String topicPrefix, String snapshotMode) {
    }

    /** The placeholders of {@code config/connect/*.json}: the servers, the database, the table topics and the source connector's slot. */
    private static Map<String, String> connectorVars(TestServers servers, String db, String name, List<String> topics, Slot slot) {
        Map<String, String> vars = new HashMap<>();
        vars.put("SLOT", slot.name());
        vars.put("PUBLICATION", slot.publication());
        vars.put("PUBLICATION_AUTOCREATE", slot.publicationAutocreate());
        vars.put("TOPIC_PREFIX", slot.topicPrefix());
        vars.put("SNAPSHOT_MODE", slot.snapshotMode());
        vars.put("NAME", name);
        vars.put("SOURCE_HOST", "127.0.0.1");
        vars.put("SOURCE_PORT", Integer.toString(servers.source().port()));
        vars.put("SOURCE_USER", "postgres");
        vars.put("SOURCE_PASSWORD", "");
        vars.put("SOURCE_DATABASE", db);
        vars.put("TARGET_HOST", "127.0.0.1");
        vars.put("TARGET_PORT", Integer.toString(servers.target().port()));
        vars.put("TARGET_USER", "postgres");
        vars.put("TARGET_PASSWORD", "");
        vars.put("TARGET_DATABASE", db);
        vars.put("TOPICS", String.join(",", topics));
        return vars;
    }

    /** An in-process distributed Connect worker on the shared broker, with its own group and internal topics. */
    private record Worker(Connect<?> connect, String rest) {

        static Worker start(TestServers servers, String name) throws java.io.IOException {
            int port = EmbeddedPostgres.freePort();
            Map<String, String> worker = new HashMap<>();
            worker.put("bootstrap.servers", servers.bootstrapServers());
            worker.put("group.id", "pgshift-it-" + name);
            worker.put("config.storage.topic", "connect-configs-" + name);
            worker.put("offset.storage.topic", "connect-offsets-" + name);
            worker.put("status.storage.topic", "connect-status-" + name);
            worker.put("config.storage.replication.factor", "1");
            worker.put("offset.storage.replication.factor", "1");
            worker.put("status.storage.replication.factor", "1");
            worker.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
            worker.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
            worker.put("listeners", "http://127.0.0.1:" + port);
            worker.put("offset.flush.interval.ms", "1000");
            worker.put("plugin.discovery", "service_load");
            worker.put("connector.client.config.override.policy", "All");
            return new Worker(new ConnectDistributed().startConnect(worker), "http://127.0.0.1:" + port);
        }

        /** Stops the worker and drops the connector's slot (once the stopped connector has let go of it). */
        void stop(TestServers servers, String db, String slot) throws Exception {
            connect.stop();
            connect.awaitStop();
            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                st.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND active");
                await("slot released").atMost(Duration.ofSeconds(30)).until(() -> {
                    try (Statement q = c.createStatement(); java.sql.ResultSet rs = q.executeQuery(
                            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND active")) {
                        rs.next();
                        return rs.getInt(1) == 0;
                    }
                });
                st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
            }
        }
    }

    /** Debezium's topic for a table: prefix.schema.table, each character Kafka does not allow replaced by '_'. */
    static String debeziumTopic(String prefix, String schema, String table) {
        return (prefix + "." + schema + "." + table).replaceAll("[^a-zA-Z0-9._-]", "_");
    }

    private static void awaitEqual(TestServers servers, String db, String what) {
        await(what + " applied through Kafka Connect").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            try (Connection s = servers.source().connect(db); Connection t = servers.target().connect(db)) {
                return TableComparator.compare(s, t, TableSelection.all()).mismatches().isEmpty();
            }
        });
    }

    private static List<String> errorsOf(JsonNode validation, String key) {
        List<String> errors = new ArrayList<>();
        for (JsonNode c : validation.get("configs")) {
            if (key.equals(c.at("/value/name").asText())) {
                c.at("/value/errors").forEach(e -> errors.add(e.asText()));
            }
        }
        return errors;
    }

    private static String template(String file, Map<String, String> vars) throws Exception {
        Path path = Path.of("..").resolve(file);
        String text = Files.readString(path);
        for (Map.Entry<String, String> v : vars.entrySet()) {
            text = text.replace("${" + v.getKey() + "}", v.getValue());
        }
        return text;
    }

    private String send(String method, String url, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json").timeout(Duration.ofSeconds(60));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("%s %s: %s", method, url, response.body()).isBetween(200, 299);
        return response.body();
    }

}
