package io.pgshift.sink;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The schema changes a target database holds, in {@code pgshift.ddl_held} (created by {@code apply-progress.sql}): a change pgshift does
 * not carry, one the target refused, or change records whose columns the target table lacks (a schema change that was not captured).
 * While one is unresolved, the partitions of the tables it touches wait at it (the other tables stream on) and the cutover refuses.
 * The operator resolves it with {@code pgshift ddl apply} (after making the target match), {@code skip} (go on without it) or
 * {@code retry} (the applier tries it again).
 */
public final class SchemaChangeHolds {

    /** The tag of a hold for change records whose columns the target lacks (its id is negative, see {@link #differenceId}). */
    public static final String SCHEMA_DIFFERENCE = "SCHEMA DIFFERENCE";

    private SchemaChangeHolds() {
    }

    /** How an operator resolves a held schema change. */
    public enum Resolution {
        /** The operator made the target match (ran the change there): the applier goes on past it. */
        APPLY,
        /** Go on without it: the target does not get it (what depends on it may then fail on the target, or differ at validation). */
        SKIP,
        /** Forget the hold: the applier tries the change again (after the operator fixed what made the target refuse it). */
        RETRY;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** What resolving a change this way did, in words. */
        public String outcome() {
            return switch (this) {
                case APPLY -> "marked applied; the tables it held go on within a second.";
                case SKIP -> "skipped; the tables it held go on within a second, without it.";
                case RETRY -> "hold lifted; the applier tries it again (and holds it again if it fails).";
            };
        }
    }

    /**
     * A held schema change.
     *
     * @param id        its {@code pgshift.ddl} id on the source, or a negative id for a schema difference that was not captured
     * @param tables    the tables whose changes wait at it, as quoted names; empty for a change of no table (it holds only the cutover)
     * @param arrived   how many Kafka partitions of those tables have reached it
     * @param resolution null while held; {@code apply} or {@code skip} once resolved
     */
    public record Held(long id, String tag, String statement, String searchPath, List<String> tables, String reason, Instant heldAt, int arrived,
                       String resolution, String resolvedBy) {

        /** What the operator can do, as commands. */
        public String fix() {
            if (id < 0) {
                return "make the target table match the source (add or change the column as it is on the source), then run 'pgshift ddl apply " + id
                        + "'";
            }
            return "run the change on the target yourself (as it fits there), then 'pgshift ddl apply " + id + "'; or 'pgshift ddl skip " + id
                    + "' to go on without it; or, once the cause is fixed on the target, 'pgshift ddl retry " + id + "'";
        }

        /** One line naming it, what it holds and the fix, for logs and refusals. */
        public String describe(String database) {
            return "schema change " + id + " (" + tag + ": " + abbreviate(statement) + ") in target database '" + database + "' holds "
                    + (tables.isEmpty() ? "no table but the cutover" : "table(s) " + String.join(", ", tables)) + ": " + reason + "; " + fix();
        }
    }

    /**
     * Records a hold (or holds again a resolved schema difference that is still there). A change held already keeps its time.
     */
    static void hold(Connection c, long id, String tag, String statement, String searchPath, List<String> tables, String reason) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO pgshift.ddl_held (id, tag, statement, search_path, tables, reason) VALUES (?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (id) DO UPDATE SET reason = EXCLUDED.reason, resolution = NULL, resolved_by = NULL, resolved_at = NULL,"
                + " held_at = CASE WHEN ddl_held.resolution IS NULL THEN ddl_held.held_at ELSE EXCLUDED.held_at END,"
                // appliers holding a change of no table each name the table that reached it: the hold keeps them all
                + " tables = CASE WHEN ddl_held.resolution IS NULL THEN ARRAY(SELECT DISTINCT t FROM unnest(ddl_held.tables || EXCLUDED.tables) t ORDER BY t)"
                + " ELSE EXCLUDED.tables END")) {
            ps.setLong(1, id);
            ps.setString(2, tag);
            ps.setString(3, statement);
            ps.setString(4, searchPath);
            ps.setArray(5, c.createArrayOf("text", tables.toArray()));
            ps.setString(6, reason);
            ps.executeUpdate();
        }
    }

    /** Adds a table to what an unresolved hold holds (a refused change of no table holds each table that reaches it). */
    static void addTable(Connection c, long id, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE pgshift.ddl_held SET tables = tables || ?::text WHERE id = ? AND NOT ?::text = ANY (tables)")) {
            ps.setString(1, table);
            ps.setLong(2, id);
            ps.setString(3, table);
            ps.executeUpdate();
        }
    }

    /**
     * The held schema changes of a target database, oldest first; none where pgshift's applier never ran.
     *
     * @param unresolvedOnly only those still held (what holds tables and the cutover)
     */
    public static List<Held> list(Connection c, boolean unresolvedOnly) throws SQLException {
        List<Held> held = new ArrayList<>();
        try (PreparedStatement probe = c.prepareStatement("SELECT to_regclass('pgshift.ddl_held') IS NOT NULL AND to_regclass('pgshift.ddl_arrivals') IS NOT NULL");
             ResultSet rs = probe.executeQuery()) {
            rs.next();
            if (!rs.getBoolean(1)) {
                return held;
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT h.id, h.tag, h.statement, h.search_path, h.tables, h.reason, h.held_at, h.resolution,"
                + " h.resolved_by, (SELECT count(*) FROM pgshift.ddl_arrivals a WHERE a.id = h.id) FROM pgshift.ddl_held h"
                + (unresolvedOnly ? " WHERE h.resolution IS NULL" : "") + " ORDER BY h.held_at, h.id");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Array tables = rs.getArray(5);
                held.add(new Held(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), Arrays.asList((String[]) tables.getArray()),
                        rs.getString(6), rs.getTimestamp(7).toInstant(), rs.getInt(10), rs.getString(8), rs.getString(9)));
            }
        }
        return held;
    }

    /**
     * Resolves a held schema change in one transaction of {@code c} (which must not auto-commit): {@code apply} and {@code skip} mark it
     * resolved and, for a captured change, write it to {@code pgshift.ddl_applied}, so that every partition goes on past it; {@code retry}
     * deletes the hold, so that the applier tries it again.
     *
     * @return the change as it was held
     * @throws IllegalArgumentException when no such change is held (or it is resolved already), or a schema difference is skipped
     */
    public static Held resolve(Connection c, String database, long id, Resolution resolution, String by) throws SQLException {
        Held found = list(c, false).stream().filter(h -> h.id() == id).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "target database '" + database + "' holds no schema change " + id + " ('pgshift ddl list' shows the held ones)"));
        if (found.resolution() != null) {
            throw new IllegalArgumentException("schema change " + id + " in target database '" + database + "' was resolved already ("
                    + found.resolution() + " by " + found.resolvedBy() + ")");
        }
        if (id < 0 && resolution == Resolution.SKIP) {
            throw new IllegalArgumentException("schema difference " + id + " in target database '" + database + "' cannot be skipped: the change"
                    + " records carry values for columns the target table lacks, and skipping would lose them. " + found.fix() + ".");
        }
        try {
            if (resolution == Resolution.RETRY) {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM pgshift.ddl_held WHERE id = ?")) {
                    ps.setLong(1, id);
                    ps.executeUpdate();
                }
            }
            else {
                if (id > 0) {
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO pgshift.ddl_applied (id, tag, statement) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING")) {
                        ps.setLong(1, id);
                        ps.setString(2, found.tag());
                        ps.setString(3, (resolution == Resolution.APPLY ? "applied by " : "skipped by ") + by + ": " + found.statement());
                        ps.executeUpdate();
                    }
                }
                try (PreparedStatement ps = c.prepareStatement("UPDATE pgshift.ddl_held SET resolution = ?, resolved_by = ?, resolved_at = clock_timestamp() WHERE id = ?")) {
                    ps.setString(1, resolution.wireName());
                    ps.setString(2, by);
                    ps.setLong(3, id);
                    ps.executeUpdate();
                }
            }
            c.commit();
        }
        catch (SQLException e) {
            c.rollback();
            throw e;
        }
        return found;
    }

    /**
     * A stable negative id for change records of {@code table} carrying {@code columns} the target lacks: the same for every partition of
     * the table and after a restart, so that one hold stands for them.
     */
    static long differenceId(String table, List<String> columns) {
        try {
            byte[] md5 = java.security.MessageDigest.getInstance("MD5").digest((table + "\u001f" + String.join("\u001f", columns.stream().sorted().toList()))
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            long h = 0;
            for (int i = 0; i < 8; i++) {
                h = (h << 8) | (md5[i] & 0xff);
            }
            return -1 - (h & 0x3fff_ffff_ffff_ffffL);
        }
        catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String abbreviate(String s) {
        String one = s.replaceAll("\\s+", " ").strip();
        return one.length() > 300 ? one.substring(0, 300) + "..." : one;
    }
}
