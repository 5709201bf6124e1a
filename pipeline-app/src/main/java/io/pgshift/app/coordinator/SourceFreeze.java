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

import io.pgshift.core.Identifiers;
import io.pgshift.core.PgEndpoint;

/**
 * Makes source databases read-only for the cutover, and writable again. Freezing sets {@code default_transaction_read_only} on
 * the database, so every new session is read-only, and ends the sessions already connected (their open transactions roll
 * back), except pgshift's own and Debezium's. A session can still {@code SET default_transaction_read_only = off} on purpose:
 * the freeze stops applications, not a determined administrator.
 */
public final class SourceFreeze {

    private static final Logger LOG = LoggerFactory.getLogger(SourceFreeze.class);

    /** Sessions the freeze ends: client sessions of the database that are not pgshift's or Debezium's. */
    private static final String OTHER_SESSIONS = "SELECT pid, coalesce(usename, ''), coalesce(application_name, '') FROM pg_stat_activity"
            + " WHERE datname = ? AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            + " AND coalesce(application_name, '') NOT LIKE 'pgshift%' AND coalesce(application_name, '') NOT LIKE 'Debezium%'";

    private SourceFreeze() {
    }

    /** What freezing one database did. */
    public record Frozen(String database, int sessionsEnded) {
    }

    /** Freezes each database; returns what was done. On failure the databases frozen so far are thawed again. */
    public static List<Frozen> freeze(PgEndpoint source, List<String> databases) throws SQLException, InterruptedException {
        List<Frozen> done = new ArrayList<>();
        List<String> touched = new ArrayList<>();
        try {
            for (String db : databases) {
                touched.add(db); // read-only from its ALTER DATABASE on, before its sessions are ended
                done.add(freezeOne(source, db));
            }
        }
        catch (InterruptedException e) {
            unfreeze(source, touched);
            throw e;
        }
        catch (SQLException | RuntimeException e) {
            unfreeze(source, touched);
            throw new SQLException("Cannot freeze source database(s) " + databases + ": " + e.getMessage() + ". Freezing needs the owner of"
                    + " each database or a superuser (ALTER DATABASE ... SET default_transaction_read_only), and pg_signal_backend to end"
                    + " other users' sessions. Nothing stays frozen.", e instanceof SQLException s ? s.getSQLState() : null, e);
        }
        return done;
    }

    private static Frozen freezeOne(PgEndpoint source, String db) throws SQLException, InterruptedException {
        try (Connection c = source.connect(db, "pgshift-freeze"); Statement st = c.createStatement()) {
            st.execute("SET default_transaction_read_only = off");
            st.execute("ALTER DATABASE " + Identifiers.quote(db) + " SET default_transaction_read_only = on");
            List<Integer> ended = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(OTHER_SESSIONS)) {
                ps.setString(1, db);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ended.add(rs.getInt(1));
                        LOG.info("Freeze of '{}': ending session {} of user '{}' ({})", db, rs.getInt(1), rs.getString(2), rs.getString(3));
                    }
                }
            }
            try (PreparedStatement kill = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
                for (int pid : ended) {
                    kill.setInt(1, pid);
                    kill.execute();
                }
            }
            awaitGone(c, ended);
            LOG.info("Source database '{}' is frozen: read-only for new sessions, {} sessions ended", db, ended.size());
            return new Frozen(db, ended.size());
        }
    }

    /** Waits (up to 30 s) until the ended sessions are gone, so none of them can still commit. */
    private static void awaitGone(Connection c, List<Integer> pids) throws SQLException, InterruptedException {
        if (pids.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY (?)")) {
            ps.setArray(1, c.createArrayOf("int4", pids.toArray()));
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) == 0) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new SQLException("sessions " + pids + " did not end within 30 s of pg_terminate_backend");
                }
                Thread.sleep(20);
            }
        }
    }

    /**
     * The databases among these that are frozen now: {@code default_transaction_read_only} is on for the database itself, for every
     * role ({@code pg_db_role_setting} with {@code setrole = 0}).
     */
    public static List<String> frozen(PgEndpoint source, List<String> databases) throws SQLException {
        List<String> frozen = new ArrayList<>();
        if (databases.isEmpty()) {
            return frozen;
        }
        // pg_db_role_setting is a shared catalog: any database of the server answers for all of them.
        try (Connection c = source.connect(databases.get(0), "pgshift-freeze");
             PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase"
                     + " WHERE d.datname = ? AND s.setrole = 0 AND 'default_transaction_read_only=on' = ANY (s.setconfig))")) {
            for (String db : databases) {
                ps.setString(1, db);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        frozen.add(db);
                    }
                }
            }
        }
        return frozen;
    }

    /** Makes each database writable for new sessions again (sessions opened while frozen stay read-only until they reconnect). */
    public static void unfreeze(PgEndpoint source, List<String> databases) throws SQLException {
        for (String db : databases) {
            try (Connection c = source.connect(db, "pgshift-unfreeze"); Statement st = c.createStatement()) {
                st.execute("SET default_transaction_read_only = off");
                st.execute("ALTER DATABASE " + Identifiers.quote(db) + " RESET default_transaction_read_only");
                LOG.info("Source database '{}' is writable again", db);
            }
        }
    }
}
