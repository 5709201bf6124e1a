package io.pgshift.app.coordinator;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.core.Identifiers;

/**
 * Removes what a migration left on the source once it is over: the replication slot (which otherwise keeps WAL on the source's
 * disk for ever), the publication, and pgshift's fence table. The target keeps its {@code pgshift} schema: the record of what
 * was applied and of the cutover.
 */
public final class SourceCleanup {

    private static final Logger LOG = LoggerFactory.getLogger(SourceCleanup.class);

    private SourceCleanup() {
    }

    /** Drops them in every source database of the migration; returns one line per thing done. */
    public static List<String> run(MigrationConfig config) throws SQLException {
        List<String> done = new ArrayList<>();
        for (MigrationConfig.DatabaseMapping db : config.databases()) {
            String slot = config.names().slotName(db.source());
            String publication = config.names().publicationName(db.source());
            try (Connection c = config.source().connect(db.source(), "pgshift-cleanup"); Statement st = c.createStatement()) {
                st.execute("SET default_transaction_read_only = off");
                try (PreparedStatement ps = c.prepareStatement("SELECT active_pid FROM pg_replication_slots WHERE slot_name = ? AND active")) {
                    ps.setString(1, slot);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            throw new IllegalStateException("Replication slot " + slot + " is in use by server process " + rs.getInt(1)
                                    + ": the migration is still running. Stop 'pgshift migrate' first (after the cutover it stops streaming by itself).");
                        }
                    }
                }
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
                    ps.setString(1, slot);
                    try (ResultSet rs = ps.executeQuery()) {
                        done.add(db.source() + ": " + (rs.next() ? "dropped replication slot " + slot : "no replication slot " + slot));
                    }
                }
                st.execute("DROP PUBLICATION IF EXISTS " + Identifiers.quote(publication));
                done.add(db.source() + ": dropped publication " + publication + " (if it existed)");
                boolean sharedFence;
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_publication_tables WHERE schemaname = 'pgshift' AND tablename = 'fence'")) {
                    rs.next();
                    sharedFence = rs.getInt(1) > 0;
                }
                if (sharedFence) {
                    done.add(db.source() + ": kept pgshift.fence, which another migration's publication still uses");
                    continue;
                }
                st.execute("DROP TABLE IF EXISTS pgshift.fence");
                if (io.pgshift.source.SourceSetup.uninstallDdlCapture(st)) {
                    done.add(db.source() + ": dropped pgshift's DDL capture (event triggers pgshift_capture_ddl, pgshift_note_dropped and pgshift.ddl)");
                }
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'pgshift'")) {
                    rs.next();
                    if (rs.getInt(1) == 0) {
                        st.execute("DROP SCHEMA IF EXISTS pgshift");
                    }
                }
                done.add(db.source() + ": dropped pgshift.fence");
            }
        }
        done.forEach(line -> LOG.info("Cleanup: {}", line));
        return done;
    }
}
