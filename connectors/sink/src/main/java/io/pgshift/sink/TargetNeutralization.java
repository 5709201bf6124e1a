package io.pgshift.sink;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.core.SqlResource;
import io.pgshift.core.TableId;

/**
 * What the target does on its own to a replicated write (GENERATED ALWAYS identity columns, triggers and rules enabled ALWAYS
 * or REPLICA: {@code neutralizable.sql}) is turned off while pgshift applies changes and turned back on at the cutover. Each
 * object turned off is recorded with the statement that restores it in {@code pgshift.neutralized} on the target, in the same
 * transaction, so a restart neither turns it off twice nor forgets it. Ordinary triggers and foreign keys need nothing: the
 * applier's {@code session_replication_role = replica} keeps them from firing. Only what the source has too (the schema copy brought
 * it) is turned off: a trigger the operator created on the target alone is the operator's to keep.
 */
public final class TargetNeutralization {

    private static final Logger LOG = LoggerFactory.getLogger(TargetNeutralization.class);

    private static final String TABLE = "CREATE SCHEMA IF NOT EXISTS pgshift;"
            + " CREATE TABLE IF NOT EXISTS pgshift.neutralized (relation text NOT NULL, kind text NOT NULL, name text NOT NULL,"
            + " restore_sql text NOT NULL, neutralized_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (relation, kind, name))";

    /** One object to turn off or turned off: where, what, and the statements that turn it off and back on. */
    public record Neutralized(String relation, String kind, String name, String suspendSql, String restoreSql) {
        @Override
        public String toString() {
            return kind + " " + name + " of " + relation;
        }
    }

    private TargetNeutralization() {
    }

    /** What {@link #neutralize} would turn off on these tables (and their partitions), without changing anything. */
    public static List<Neutralized> pending(Connection target, Collection<TableId> tables) throws SQLException {
        List<Neutralized> found = new ArrayList<>();
        try (PreparedStatement ps = target.prepareStatement(SqlResource.load("/io/pgshift/sink/sql/neutralizable.sql"))) {
            Array names = target.createArrayOf("text", tables.stream().map(TableId::quoted).toArray());
            ps.setArray(1, names);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(new Neutralized(rs.getString("relation"), rs.getString("kind"), rs.getString("name"), rs.getString("suspend_sql"),
                            rs.getString("restore_sql")));
                }
            }
        }
        return found;
    }

    /**
     * Turns off, in one target transaction, every identity, trigger and rule of these tables that would act on replicated writes and
     * that the source has too, and records each with its restoring statement. Returns what it turned off now (nothing already off).
     */
    public static List<Neutralized> neutralize(Connection target, Connection source, Collection<TableId> tables) throws SQLException {
        Set<List<String>> onSource = new HashSet<>();
        for (Neutralized n : pending(source, tables)) {
            onSource.add(List.of(n.relation(), n.kind(), n.name()));
        }
        List<Neutralized> done = io.pgshift.core.Transactions.inOne(target, st -> {
            List<Neutralized> off = new ArrayList<>();
            st.execute(TABLE);
            for (Neutralized n : pending(target, tables)) {
                if (onSource.contains(List.of(n.relation(), n.kind(), n.name()))) {
                    off.add(suspend(target, st, n));
                }
            }
            return off;
        });
        if (!done.isEmpty()) {
            LOG.info("While pgshift applies changes to target database '{}', these are off (restored at the cutover): {}", target.getCatalog(), done);
        }
        return done;
    }

    /**
     * After a schema change of the source applied to these tables in the caller's transaction: turns off, in that transaction, what
     * now acts on replicated writes (an identity column added or made GENERATED ALWAYS, a trigger or rule enabled ALWAYS or REPLICA), as
     * {@link #neutralize} does at the start; the source has it too, since the source's statement made it. Returns what it turned off.
     */
    public static List<Neutralized> neutralizeInTransaction(Connection target, Collection<TableId> tables) throws SQLException {
        List<Neutralized> off = new ArrayList<>();
        try (Statement st = target.createStatement()) {
            st.execute(TABLE);
            for (Neutralized n : pending(target, tables)) {
                off.add(suspend(target, st, n));
            }
        }
        return off;
    }

    /** Turns one object off and records it with its restoring statement, in the caller's transaction. */
    private static Neutralized suspend(Connection target, Statement st, Neutralized n) throws SQLException {
        st.execute(n.suspendSql());
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO pgshift.neutralized (relation, kind, name, restore_sql)"
                + " VALUES (?, ?, ?, ?) ON CONFLICT (relation, kind, name) DO NOTHING")) {
            ps.setString(1, n.relation());
            ps.setString(2, n.kind());
            ps.setString(3, n.name());
            ps.setString(4, n.restoreSql());
            ps.executeUpdate();
        }
        return n;
    }

    /** Turns back on, in one transaction, everything {@link #neutralize} turned off in this target database; returns it. */
    public static List<Neutralized> restore(Connection target) throws SQLException {
        List<Neutralized> restored = io.pgshift.core.Transactions.inOne(target, st -> {
            List<Neutralized> on = new ArrayList<>();
            if (!exists(target)) {
                return on;
            }
            try (ResultSet rs = st.executeQuery("SELECT relation, kind, name, restore_sql FROM pgshift.neutralized ORDER BY relation, kind, name")) {
                while (rs.next()) {
                    on.add(new Neutralized(rs.getString(1), rs.getString(2), rs.getString(3), null, rs.getString(4)));
                }
            }
            List<Neutralized> gone = new ArrayList<>();
            for (Neutralized n : on) {
                // A schema change carried since may have dropped or renamed what was turned off: that one is reported, not a failure.
                java.sql.Savepoint sp = target.setSavepoint();
                try {
                    st.execute(n.restoreSql());
                    target.releaseSavepoint(sp);
                }
                catch (SQLException e) {
                    if (!List.of("42P01", "42703", "42704").contains(e.getSQLState())) {
                        throw e;
                    }
                    target.rollback(sp);
                    gone.add(n);
                    LOG.warn("Cannot restore {} in target database '{}' ({}): a schema change since dropped or renamed it. If it still exists"
                            + " under another name, run the equivalent of: {}", n, target.getCatalog(), e.getMessage(), n.restoreSql());
                }
            }
            on.removeAll(gone);
            st.execute("DELETE FROM pgshift.neutralized");
            return on;
        });
        if (!restored.isEmpty()) {
            LOG.info("Restored in target database '{}': {}", target.getCatalog(), restored);
        }
        return restored;
    }

    private static boolean exists(Connection target) throws SQLException {
        try (Statement st = target.createStatement(); ResultSet rs = st.executeQuery("SELECT to_regclass('pgshift.neutralized') IS NOT NULL")) {
            return rs.next() && rs.getBoolean(1);
        }
    }
}
