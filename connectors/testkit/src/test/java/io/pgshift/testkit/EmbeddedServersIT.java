package io.pgshift.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

import io.pgshift.core.TableSelection;
import io.pgshift.core.validation.TableComparator;
import io.pgshift.core.validation.TableComparison;

class EmbeddedServersIT {

    @Test
    void serversRunWithLogicalWalAndTheComparisonSeesADifference() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("kit");
        try (Connection s = servers.source().connect(db); Connection t = servers.target().connect(db);
             Statement ss = s.createStatement(); Statement ts = t.createStatement()) {
            try (ResultSet rs = ss.executeQuery("SELECT current_setting('wal_level'), current_setting('server_version_num')::int / 10000")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("logical");
                assertThat(rs.getInt(2)).isEqualTo(13);
            }
            try (ResultSet rs = ts.executeQuery("SELECT current_setting('server_version_num')::int / 10000")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(16);
            }
            for (Statement st : List.of(ss, ts)) {
                st.execute("CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2))");
                st.execute("INSERT INTO items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 1000) g");
            }
            TableComparison equal = TableComparator.compare(s, t, TableSelection.all());
            assertThat(equal.allMatch()).as(equal.toString()).isTrue();
            assertThat(equal.totalSourceRows()).isEqualTo(1000);

            ts.execute("UPDATE items SET price = price + 0.01 WHERE id = 500");
            TableComparison different = TableComparator.compare(s, t, TableSelection.all());
            assertThat(different.allMatch()).isFalse();
            assertThat(different.mismatches()).hasSize(1);
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("kit-topic", 1, (short) 1))).all().get();
            Set<String> names = admin.listTopics().names().get();
            assertThat(names).contains("kit-topic");
        }
    }

    @Test
    void aServerThatAnEndedRunLeftRunningIsStoppedBeforeItsDataIsReused() throws Exception {
        java.nio.file.Path root = TestServers.get().newFolder("leftover");
        EmbeddedPostgres left = EmbeddedPostgres.start(13, root.resolve("pg13/data"), 0);
        // Not closed, as after a process killed or out of heap: its server runs on.
        try (Connection c = left.connect("postgres")) {
            assertThat(c.isValid(5)).isTrue();
        }
        java.nio.file.Path stale = root.resolve("pg16/data");
        java.nio.file.Files.createDirectories(stale);
        java.nio.file.Files.writeString(stale.resolve("PG_VERSION"), "16\n");
        java.nio.file.Files.writeString(stale.resolve("postmaster.pid"), Long.MAX_VALUE / 2 + "\n" + stale + "\n"); // no such process

        assertThat(EmbeddedPostgres.stopLeftovers(root)).containsExactly(root.resolve("pg13/data"));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> left.connect("postgres").close()).isInstanceOf(java.sql.SQLException.class);
        assertThat(EmbeddedPostgres.stopLeftovers(root)).isEmpty();
        EmbeddedPostgres.deleteTree(root);
    }
}
