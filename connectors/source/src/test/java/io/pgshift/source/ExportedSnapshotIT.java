package io.pgshift.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

import io.pgshift.testkit.TestServers;

/** A slot created by pgshift exports a snapshot that parallel readers share, and streaming starts where it ends. */
class ExportedSnapshotIT {

    @Test
    void readersWhoImportTheSnapshotSeeExactlyTheRowsCommittedBeforeTheSlot() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("export");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE items (id int PRIMARY KEY, note text)");
            st.execute("INSERT INTO items SELECT g, 'before ' || g FROM generate_series(1, 1000) g");
        }
        String slot = "pgshift_export_" + db.replaceAll("[^a-z0-9_]", "");
        try (Connection a = servers.source().connect(db); Connection b = servers.source().connect(db)) {
            try (ExportedSnapshot snapshot = ExportedSnapshot.create(servers.source().endpoint("source"), db, slot)) {
                try (Connection w = servers.source().connect(db); Statement st = w.createStatement()) {
                    st.execute("INSERT INTO items SELECT g, 'after ' || g FROM generate_series(1001, 1500) g");
                    st.execute("DELETE FROM items WHERE id <= 10");
                }
                snapshot.importInto(a);
                snapshot.importInto(b);
            }
            // Imported transactions keep the snapshot after the export ended.
            assertThat(count(a, "SELECT count(*) FROM items")).isEqualTo(1000);
            assertThat(count(b, "SELECT count(*) FROM items WHERE id <= 10")).isEqualTo(10);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long copied = a.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT * FROM items WHERE id > 990) TO STDOUT", out);
            assertThat(copied).isEqualTo(10);
            assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("991\tbefore 991\n");
            a.rollback();
            b.rollback();
        }
        try (Connection c = servers.source().connect(db)) {
            assertThat(count(c, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND plugin = 'pgoutput'")).isOne();
            try (Statement st = c.createStatement()) {
                st.execute("SELECT pg_drop_replication_slot('" + slot + "')");
            }
        }
    }

    private static long count(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
