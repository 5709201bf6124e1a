package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.testkit.TestServers;

/**
 * A row or a change too large for a Kafka record stops the load or the capture with the table and the way out. A change the target refuses (a constraint the source lacks) stops the applier with the table, the key,
 * the Kafka offset, the SQLState and what to do; nothing after it is applied. After the operator fixes the
 * target, a restart resumes from that record and the target ends equal to the source.
 */
class RejectedChangeIT {

    @Test
    void aRefusedChangeStopsTheApplierAndAfterTheFixARestartResumesFromIt() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("rejected");
        String ddl = "CREATE TABLE stock (id int PRIMARY KEY, qty int NOT NULL)";
        MigrationConfig config = migration(servers, db, "rejected", List.of(ddl, "INSERT INTO stock SELECT g, g FROM generate_series(1, 100) g"),
                List.of(ddl, POSITIVE)); // the source lacks the constraint
        try (Pipeline pipeline = Pipeline.start(config)) {
            pipeline.awaitCaughtUp(Duration.ofMinutes(2));
            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                st.execute("UPDATE stock SET qty = -5 WHERE id = 42");
                st.execute("INSERT INTO stock VALUES (101, 1)");
            }
            assertThatThrownBy(() -> pipeline.awaitCaughtUp(Duration.ofMinutes(2)))
                    .hasMessageContaining("public.stock")
                    .hasMessageContaining("{id=42}")
                    .hasMessageContaining("public.stock-0 offset 0") // the load travelled on the load topic: this is the first change
                    .hasMessageContaining("SQLState 23514")
                    .hasMessageContaining("stock_qty_positive")
                    .hasMessageContaining("resumes from this record");
        }
        assertThat(count(servers, db, "SELECT count(*) FROM stock WHERE id = 101")).as("the change after the refused one").isZero();
        assertThat(count(servers, db, "SELECT qty FROM stock WHERE id = 42")).isEqualTo(42);

        fixTheTargetAndResume(servers, db, config);
    }

    @Test
    void aRefusedLoadPartIsNamedAmongThePartsItWasCopiedWithAndARestartResumesFromIt() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("rejectedload");
        String ddl = "CREATE TABLE stock (id int PRIMARY KEY, qty int NOT NULL, note text)";
        // About 9 MB of COPY data: parts just under 1 MiB that compress well, so a poll brings several, copied in one COPY.
        MigrationConfig config = migration(servers, db, "rload", List.of(ddl,
                "INSERT INTO stock SELECT g, CASE WHEN g = 45000 THEN -1 ELSE g END, repeat('n', 100) FROM generate_series(1, 60000) g"),
                List.of(ddl, POSITIVE));
        try (Pipeline pipeline = Pipeline.start(config)) {
            assertThatThrownBy(() -> pipeline.awaitCaughtUp(Duration.ofMinutes(2)))
                    .hasMessageMatching("(?s).*The target refused part [1-9][0-9]* of chunk 0 of the bulk load of public\\.stock.*") // not the first
                    .hasMessageContaining("SQLState 23514")
                    .hasMessageContaining("stock_qty_positive")
                    .hasMessageContaining("resumes from this record");
        }
        assertThat(count(servers, db, "SELECT count(*) FROM stock")).as("nothing of the refused part's batch is kept").isLessThan(45000);

        fixTheTargetAndResume(servers, db, config);
    }

    @Test
    void aRowTooLargeForAKafkaRecordStopsTheLoadNamingTheTableAndTheWayOut() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("hugerow");
        String ddl = "CREATE TABLE blobs (id int PRIMARY KEY, data bytea)";
        // 67 MB of random bytes: LZ4 cannot make it smaller, and it is more than a record of the load topic may hold.
        MigrationConfig config = migration(servers, db, "hugerow", List.of(ddl, "ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL",
                "INSERT INTO blobs VALUES (1, 'small')",
                "INSERT INTO blobs SELECT 2, decode(string_agg(md5(g::text || random()::text), ''), 'hex') FROM generate_series(1, 4200000) g"),
                List.of(ddl));
        try (Pipeline pipeline = Pipeline.start(config)) {
            assertThatThrownBy(() -> pipeline.awaitCaughtUp(Duration.ofMinutes(2)))
                    .hasMessageContaining("A row of public.blobs (chunk")
                    .hasMessageContaining("is 64 MB of COPY data, 64 MB compressed: more than the 63 MB a record of the load topic")
                    .hasMessageContaining("tables.exclude")
                    .hasMessageNotContaining("Restarting pgshift starts the load again"); // it would fail the same way
        }
        assertThat(count(servers, db, "SELECT count(*) FROM blobs")).as("the huge row is not on the target").isLessThan(2);
    }

    @Test
    void aChangeTooLargeForAKafkaRecordStopsTheCaptureNamingTheTableAndTheWayOut() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("hugechange");
        String ddl = "CREATE TABLE blobs (id int PRIMARY KEY, data bytea)";
        MigrationConfig config = migration(servers, db, "hugechange", List.of(ddl, "INSERT INTO blobs VALUES (1, 'small')"), List.of(ddl));
        try (Pipeline pipeline = Pipeline.start(config)) {
            pipeline.awaitCaughtUp(Duration.ofMinutes(2));
            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                // 40 MB of bytes is 80 MB as PostgreSQL text (hex): more than a Kafka record may hold.
                st.execute("UPDATE blobs SET data = (SELECT decode(string_agg(md5(g::text || random()::text), ''), 'hex')"
                        + " FROM generate_series(1, 2500000) g) WHERE id = 1");
            }
            assertThatThrownBy(() -> pipeline.awaitCaughtUp(Duration.ofMinutes(2)))
                    .hasMessageContaining("A change to public.blobs (key {id=1}) at source LSN")
                    .hasMessageContaining("MB as a change record, more than the 63 MB a Kafka record may hold")
                    .hasMessageContaining("tables.exclude");
        }
        assertThat(count(servers, db, "SELECT length(data) FROM blobs WHERE id = 1")).as("the target keeps the row as it was").isEqualTo(5);
        // The table's topic allows 64 MB records itself, so a cluster whose default is 1 MB takes large rows too.
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                java.util.Map.of("bootstrap.servers", servers.bootstrapServers()))) {
            var topic = new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.TOPIC,
                    config.names().tableTopic(db, new io.pgshift.core.TableId("public", "blobs")));
            var entry = admin.describeConfigs(List.of(topic)).all().get().get(topic).get("max.message.bytes");
            assertThat(entry.value()).isEqualTo(Integer.toString(64 << 20));
            assertThat(entry.source()).isEqualTo(org.apache.kafka.clients.admin.ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        }
    }

    private static final String POSITIVE = "ALTER TABLE stock ADD CONSTRAINT stock_qty_positive CHECK (qty >= 0)";

    /** Runs the statements on the source and the target, and returns the migration of the database. */
    private static MigrationConfig migration(TestServers servers, String db, String name, List<String> source, List<String> target) throws Exception {
        for (var side : List.of(java.util.Map.entry(servers.source(), source), java.util.Map.entry(servers.target(), target))) {
            try (Connection c = side.getKey().connect(db); Statement st = c.createStatement()) {
                for (String sql : side.getValue()) {
                    st.execute(sql);
                }
            }
        }
        return TestMigrations.config(servers, name + "_" + db.replaceAll("[^a-z0-9]", ""), db, servers.newFolder(name));
    }

    /** The operator's fix (the constraint goes), then a restart that resumes from the refused record, until target == source. */
    private static void fixTheTargetAndResume(TestServers servers, String db, MigrationConfig config) throws Exception {
        try (Connection c = servers.target().connect(db); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE stock DROP CONSTRAINT stock_qty_positive");
        }
        try (Pipeline pipeline = Pipeline.start(config)) {
            pipeline.awaitCaughtUp(Duration.ofMinutes(2));
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    private static long count(TestServers servers, String db, String sql) throws Exception {
        try (Connection c = servers.target().connect(db); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
