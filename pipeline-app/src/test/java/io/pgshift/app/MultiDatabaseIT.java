package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.coordinator.Coordinator;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.app.pipeline.PipelineOptions;
import io.pgshift.core.SqlResource;
import io.pgshift.core.validation.TableComparator;
import io.pgshift.core.validation.TableComparison;
import io.pgshift.testkit.TestServers;

/**
 * Two databases of one source server migrate at once, each into its own target database with its own slot and capture,
 * under one selection with exclusion patterns: excluded tables never reach the target. The schema goes in two sections
 * (post-data after the load), and a table keyed only by its replica identity index streams its changes.
 */
class MultiDatabaseIT {

    @Test
    void twoDatabasesMigrateAndExcludedTablesNeverReachTheTarget() throws Exception {
        TestServers servers = TestServers.get();
        String shop = servers.newDatabasePair("multishop");
        String crm = servers.newDatabasePair("multicrm");
        String crmTarget = crm + "_moved";
        try (Connection c = servers.source().connect(shop); Statement st = c.createStatement()) {
            st.execute(SqlResource.load("/io/pgshift/app/schema/sample.sql"));
        }
        try (Connection c = servers.source().connect(crm); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE contacts (id bigint PRIMARY KEY, name text NOT NULL)");
            st.execute("CREATE TABLE notes (contact_id bigint NOT NULL, seq int NOT NULL, body text)");
            st.execute("CREATE UNIQUE INDEX notes_identity ON notes (contact_id, seq)");
            st.execute("ALTER TABLE notes REPLICA IDENTITY USING INDEX notes_identity");
            st.execute("CREATE TABLE audit_log (id bigserial PRIMARY KEY, what text)");
            st.execute("CREATE TABLE audit_2024 (id int PRIMARY KEY)");
            st.execute("INSERT INTO contacts SELECT g, 'contact ' || g FROM generate_series(1, 2000) g");
            st.execute("INSERT INTO notes SELECT g % 500, g, 'note ' || g FROM generate_series(1, 3000) g");
            st.execute("INSERT INTO audit_log (what) SELECT 'secret ' || g FROM generate_series(1, 100) g");
        }
        String yaml = TestMigrations.yaml(servers, "multi" + Math.abs(shop.hashCode() % 10000), shop, servers.newFolder("multi"))
                .replace("  - { source: " + shop + " }", "  - { source: " + shop + " }\n  - { source: " + crm + ", target: " + crmTarget + " }")
                .replace("tables: { include: [\"public.*\"] }", "tables: { include: [\"sales.*\", \"public.*\"], exclude: [\"sales.scr*\", \"public.audit_*\"] }");
        MigrationConfig config = new MigrationConfigLoader(System::getenv).parse(yaml, "multi");

        try (Coordinator coordinator = Coordinator.start(config, PipelineOptions.all())) {
            Pipeline pipeline = coordinator.pipeline();
            pipeline.loaded().get(3, TimeUnit.MINUTES);
            assertThat(pipeline.lanes()).hasSize(2);
            assertThat(pipeline.lanes().stream().map(l -> l.capture().database()).toList()).containsExactly(shop, crm);
            try (Connection t = servers.target().connect(crmTarget)) {
                assertThat(count(t, "SELECT count(*) FROM pg_indexes WHERE indexname = 'notes_identity'")).as("post-data is in once loaded").isOne();
            }
            try (Connection c = servers.source().connect(shop); Statement st = c.createStatement()) {
                st.execute("INSERT INTO sales.customers (email, name) VALUES ('cy@example.org', 'Cy')");
                st.execute("UPDATE sales.products SET price = price + 1");
                st.execute("INSERT INTO sales.orders (customer_id, status, ordered_on, total) VALUES (3, 'new', '2025-11-11', 5)");
                st.execute("UPDATE sales.orders SET ordered_on = '2026-02-02' WHERE ordered_on = '2025-11-11'"); // moves between partitions
                st.execute("DELETE FROM sales.order_lines WHERE line_no = 1 AND order_id = 3");
                st.execute("INSERT INTO sales.scratch VALUES (2, 'still excluded')");
            }
            try (Connection c = servers.source().connect(crm); Statement st = c.createStatement()) {
                st.execute("UPDATE notes SET body = body || ' (edited)' WHERE seq % 7 = 0");
                st.execute("DELETE FROM notes WHERE seq % 11 = 0");
                st.execute("UPDATE notes SET seq = seq + 100000 WHERE seq % 13 = 0"); // a change of the identity key
                st.execute("INSERT INTO notes VALUES (1, 0, 'first')");
                st.execute("UPDATE contacts SET name = upper(name) WHERE id % 3 = 0");
                st.execute("INSERT INTO audit_log (what) VALUES ('more secrets')");
            }
            pipeline.awaitCaughtUp(Duration.ofMinutes(3));

            // One cutover for both databases: both frozen, a fence each, sequences of both, every table validated, then cleanup.
            com.fasterxml.jackson.databind.JsonNode report = CutoverIT.cutover(config, true, true);
            assertThat(report.path("result").asText()).as("%s", report).isEqualTo("COMPLETED");
            assertThat(report.path("fences").findValuesAsText("database")).containsExactly(shop, crm);
            assertThat(report.path("tables").size()).isEqualTo(7);
            assertThat(report.path("sequencesNotOnTarget").toString()).as("the excluded table's sequence").contains(crm + ".public.audit_log_id_seq");
            assertThat(report.path("cleanup").toString()).contains("dropped replication slot " + config.names().slotName(shop),
                    "dropped replication slot " + config.names().slotName(crm));
        }

        try (Connection s = servers.source().connect(shop); Connection t = servers.target().connect(shop)) {
            TableComparison comparison = TableComparator.compare(s, t, config.tables());
            assertThat(comparison.entries()).hasSize(5);
            assertThat(comparison.mismatches()).as("%s", comparison).isEmpty();
            assertThat(count(t, "SELECT count(*) FROM pg_class WHERE relname IN ('scratch', 'cache')")).as("excluded and unlogged tables").isZero();
            assertThat(rows(t, "SELECT * FROM sales.revenue_by_month ORDER BY 1")).as("materialized view refreshed after the load")
                    .isEqualTo(rows(s, "SELECT * FROM sales.revenue_by_month ORDER BY 1"));
            assertThat(count(t, "SELECT count(*) FROM pg_trigger WHERE tgname IN ('customers_audit', 'lines_audit')")).isEqualTo(2);
        }
        try (Connection s = servers.source().connect(crm); Connection t = servers.target().connect(crmTarget)) {
            TableComparison comparison = TableComparator.compare(s, t, config.tables());
            assertThat(comparison.entries()).hasSize(2);
            assertThat(comparison.mismatches()).as("%s", comparison).isEmpty();
            assertThat(count(t, "SELECT count(*) FROM pg_class WHERE relname LIKE 'audit%'")).as("excluded tables on the target").isZero();
            assertThat(count(t, "SELECT count(*) FROM notes WHERE seq > 100000")).isPositive();
        }
        try (Connection s = servers.source().connect("postgres")) {
            assertThat(rows(s, "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'pgshift_" + config.name() + "%' ORDER BY 1"))
                    .as("the slots, dropped by the cutover's cleanup").isEmpty();
        }
    }

    private static long count(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<String> rows(Connection c, String sql) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder b = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    b.append(rs.getString(i)).append('|');
                }
                out.add(b.toString());
            }
        }
        return out;
    }
}
