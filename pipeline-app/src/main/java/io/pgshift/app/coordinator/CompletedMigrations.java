package io.pgshift.app.coordinator;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

import io.pgshift.app.config.MigrationConfig;

/**
 * The record, in each target database, that a migration's cutover completed ({@code pgshift.migrations}). From then on the
 * applications write to the target, so the same migration must never stream into it again: {@code pgshift migrate} refuses.
 */
final class CompletedMigrations {

    private static final String DDL = "CREATE SCHEMA IF NOT EXISTS pgshift; CREATE TABLE IF NOT EXISTS pgshift.migrations ("
            + " migration text PRIMARY KEY, completed_at timestamptz NOT NULL, fence_lsn text, report jsonb NOT NULL)";

    private CompletedMigrations() {
    }

    static void record(MigrationConfig config, String targetDatabase, String fenceLsn, String reportJson) throws SQLException {
        try (Connection c = config.target().connect(targetDatabase, "pgshift-coordinator"); Statement st = c.createStatement()) {
            st.execute(DDL);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO pgshift.migrations (migration, completed_at, fence_lsn, report)"
                    + " VALUES (?, now(), ?, ?::jsonb) ON CONFLICT (migration) DO UPDATE SET completed_at = now(), fence_lsn = excluded.fence_lsn,"
                    + " report = excluded.report")) {
                ps.setString(1, config.name());
                ps.setString(2, fenceLsn);
                ps.setString(3, reportJson);
                ps.executeUpdate();
            }
        }
    }

    /** When this migration completed into the target database, if it did. */
    static Optional<String> completedAt(MigrationConfig config, String targetDatabase) throws SQLException {
        try (Connection c = config.target().connect("postgres", "pgshift-coordinator")) {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                ps.setString(1, targetDatabase);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                }
            }
        }
        try (Connection c = config.target().connect(targetDatabase, "pgshift-coordinator");
             PreparedStatement ps = c.prepareStatement("SELECT to_regclass('pgshift.migrations') IS NOT NULL")) {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return Optional.empty();
                }
            }
            try (PreparedStatement q = c.prepareStatement("SELECT completed_at::text FROM pgshift.migrations WHERE migration = ?")) {
                q.setString(1, config.name());
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
                }
            }
        }
    }

    /** Refuses to stream into a target this migration already completed into. */
    static void refuseIfCompleted(MigrationConfig config) throws SQLException {
        for (MigrationConfig.DatabaseMapping db : config.databases()) {
            Optional<String> at = completedAt(config, db.target());
            if (at.isPresent()) {
                throw new IllegalStateException("Migration '" + config.name() + "' completed its cutover into target database '" + db.target()
                        + "' at " + at.get() + ": the applications write there now, and streaming the source into it again would overwrite"
                        + " their changes. To migrate again, use a new migration name and an empty target (the record is in"
                        + " pgshift.migrations on the target).");
            }
        }
    }
}
