package io.pgshift.app.coordinator;

import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.pgshift.core.Identifiers;
import io.pgshift.core.SqlResource;

/**
 * Sets every sequence of a target database to where the source's is, serial and identity columns included ({@code setval} with the
 * source's {@code last_value} and {@code is_called}), then proves that none will hand out a value its owning column already holds.
 * Sequences the target does not have (those of tables left out of the migration) are listed, not created.
 */
public final class SequenceSync {

    private static final String SEQUENCES = "/io/pgshift/app/coordinator/sequences.sql";
    private static final Set<String> INTEGER_TYPES = Set.of("smallint", "integer", "bigint", "numeric");

    private SequenceSync() {
    }

    /**
     * One sequence as set on the target.
     *
     * @param ownedBy    schema.table.column of the serial or identity column it feeds; null for a free-standing sequence
     * @param nextValue  what nextval() will return on the target
     * @param columnMax  the column's largest value on the target (smallest for a descending sequence); null for none or not checked
     * @param collision  why the next value would collide; null when it will not
     */
    public record Entry(String database, String sequence, long lastValue, boolean isCalled, String ownedBy, boolean identity, String nextValue,
                 String columnMax, String collision) {
    }

    /** What was set, what was skipped, and any collision found. */
    record Result(List<Entry> sequences, List<String> notOnTarget) {

        List<Entry> collisions() {
            return sequences.stream().filter(e -> e.collision() != null).toList();
        }
    }

    private record Sequence(String schema, String name, long increment, String tableSchema, String table, String column, String columnType,
                            boolean identity) {

        String quoted() {
            return Identifiers.quote(schema) + "." + Identifiers.quote(name);
        }

        String display() {
            return schema + "." + name;
        }
    }

    static Result sync(String database, Connection source, Connection target) throws SQLException {
        Map<String, Sequence> onTarget = new LinkedHashMap<>();
        for (Sequence s : list(target)) {
            onTarget.put(s.display(), s);
        }
        List<Entry> entries = new ArrayList<>();
        List<String> notOnTarget = new ArrayList<>();
        boolean auto = target.getAutoCommit();
        target.setAutoCommit(false);
        try {
            for (Sequence s : list(source)) {
                Sequence t = onTarget.get(s.display());
                if (t == null) {
                    notOnTarget.add(s.display());
                    continue;
                }
                long last;
                boolean called;
                try (Statement st = source.createStatement(); ResultSet rs = st.executeQuery("SELECT last_value, is_called FROM " + s.quoted())) {
                    rs.next();
                    last = rs.getLong(1);
                    called = rs.getBoolean(2);
                }
                try (PreparedStatement ps = target.prepareStatement("SELECT setval(?::regclass, ?, ?)")) {
                    ps.setString(1, t.quoted());
                    ps.setLong(2, last);
                    ps.setBoolean(3, called);
                    ps.execute();
                }
                entries.add(verify(database, target, t, last, called));
            }
            target.commit();
        }
        catch (SQLException e) {
            target.rollback();
            throw e;
        }
        finally {
            target.setAutoCommit(auto);
        }
        return new Result(entries, notOnTarget);
    }

    /** Compares the value nextval() will return with the owning column's largest (or, descending, smallest) value. */
    private static Entry verify(String database, Connection target, Sequence t, long last, boolean called) throws SQLException {
        BigInteger next = called ? BigInteger.valueOf(last).add(BigInteger.valueOf(t.increment())) : BigInteger.valueOf(last);
        if (t.table() == null) {
            return new Entry(database, t.display(), last, called, null, false, next.toString(), null, null);
        }
        String ownedBy = t.tableSchema() + "." + t.table() + "." + t.column();
        if (!INTEGER_TYPES.contains(t.columnType())) {
            return new Entry(database, t.display(), last, called, ownedBy, t.identity(), next.toString(), null, null);
        }
        boolean ascending = t.increment() > 0;
        String sql = "SELECT " + (ascending ? "max" : "min") + "(" + Identifiers.quote(t.column()) + ")::text FROM "
                + Identifiers.quote(t.tableSchema()) + "." + Identifiers.quote(t.table());
        String extreme;
        try (Statement st = target.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            extreme = rs.getString(1);
        }
        String collision = null;
        if (extreme != null) {
            BigInteger held = new java.math.BigDecimal(extreme).toBigInteger();
            if (ascending ? held.compareTo(next) >= 0 : held.compareTo(next) <= 0) {
                collision = "sequence " + t.display() + " hands out " + next + " next, but " + ownedBy + " already holds " + held
                        + " on the target: the next insert would collide. The source's sequence is behind its column too (rows were inserted"
                        + " with explicit values); set it past them on the source, e.g. SELECT setval('" + t.display().replace("'", "''") + "', (SELECT "
                        + (ascending ? "max" : "min") + "(" + Identifiers.quote(t.column()) + ") FROM " + Identifiers.quote(t.tableSchema()) + "."
                        + Identifiers.quote(t.table()) + ")), and cut over again";
            }
        }
        return new Entry(database, t.display(), last, called, ownedBy, t.identity(), next.toString(), extreme, collision);
    }

    private static List<Sequence> list(Connection c) throws SQLException {
        List<Sequence> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(SqlResource.load(SEQUENCES))) {
            while (rs.next()) {
                out.add(new Sequence(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getString(4), rs.getString(5), rs.getString(6),
                        rs.getString(7), rs.getBoolean(8)));
            }
        }
        return out;
    }
}
