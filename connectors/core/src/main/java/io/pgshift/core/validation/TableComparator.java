package io.pgshift.core.validation;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.pgshift.core.Identifiers;
import io.pgshift.core.SqlResource;
import io.pgshift.core.TableId;
import io.pgshift.core.TableSelection;
import io.pgshift.core.catalog.Catalog;
import io.pgshift.core.catalog.TableInfo;

/**
 * Proves target == source: for every selected source table, the same row count and the same md5 over
 * its rows' text forms ({@code t::text}) ordered by primary key, computed by each server itself.
 * Each side runs in a REPEATABLE READ transaction, so a table's count and checksum agree.
 */
public final class TableComparator {

    private TableComparator() {
    }

    public static TableComparison compare(Connection source, Connection target, TableSelection selection) throws SQLException {
        return compare(source, target, Catalog.selectedTables(source, selection));
    }

    /**
     * Compares these source tables with the target's tables of the same names. The two servers work at the same time: the target's
     * checksums are computed on a second thread while the source's are computed on this one.
     */
    public static TableComparison compare(Connection source, Connection target, List<TableInfo> tables) throws SQLException {
        boolean sourceAuto = source.getAutoCommit();
        boolean targetAuto = target.getAutoCommit();
        java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "pgshift-validate-target");
            t.setDaemon(true);
            return t;
        });
        try {
            begin(source);
            begin(target);
            // Both sides print each row with the source's columns in the source's order: a target table whose columns stand in
            // another order (an inheritance child re-created by pg_dump puts the inherited ones first) still holds the same rows.
            Map<TableId, String> rows = new HashMap<>();
            for (TableInfo table : tables) {
                rows.put(table.id(), rowExpression(source, table));
            }
            java.util.concurrent.Future<List<TableChecksum>> targetSide = other.submit(() -> {
                List<TableChecksum> sums = new ArrayList<>();
                for (TableInfo table : tables) {
                    sums.add(tableExists(target, table) ? checksum(target, table, rows.get(table.id())) : null);
                }
                return sums;
            });
            List<TableChecksum> sourceSide = new ArrayList<>();
            for (TableInfo table : tables) {
                sourceSide.add(checksum(source, table, rows.get(table.id())));
            }
            List<TableChecksum> targetSums = join(targetSide);
            List<TableComparison.Entry> entries = new ArrayList<>();
            for (int i = 0; i < tables.size(); i++) {
                entries.add(new TableComparison.Entry(sourceSide.get(i), targetSums.get(i)));
            }
            return new TableComparison(entries);
        }
        finally {
            other.shutdownNow();
            source.rollback();
            target.rollback();
            source.setAutoCommit(sourceAuto);
            target.setAutoCommit(targetAuto);
        }
    }

    private static List<TableChecksum> join(java.util.concurrent.Future<List<TableChecksum>> f) throws SQLException {
        try {
            return f.get();
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("Interrupted while the target computed its checksums", e);
        }
        catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof SQLException s) {
                throw s;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private static void begin(Connection c) throws SQLException {
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try (Statement st = c.createStatement()) {
            // The text forms depend on these settings: make both servers print with the same ones.
            st.execute(SqlResource.load("session-text-format.sql"));
        }
    }

    /** {@code ROW(t."a", t."b", ...)::text}: the table's columns in their order on this (the source) server. */
    static String rowExpression(Connection source, TableInfo table) throws SQLException {
        List<String> columns = new ArrayList<>();
        try (PreparedStatement ps = source.prepareStatement("SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(?) AND attnum > 0"
                + " AND NOT attisdropped ORDER BY attnum")) {
            ps.setString(1, table.id().quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add("t." + Identifiers.quote(rs.getString(1)));
                }
            }
        }
        return "ROW(" + String.join(", ", columns) + ")::text";
    }

    /** The table's row count and checksum, each row printed as {@code row} ({@link #rowExpression}). */
    public static TableChecksum checksum(Connection connection, TableInfo table, String row) throws SQLException {
        String orderBy = table.hasPrimaryKey()
                ? table.keyColumns().stream().map(c -> "(t." + Identifiers.quote(c) + ")::text COLLATE \"C\"").collect(Collectors.joining(", "))
                : "(" + row + ") COLLATE \"C\"";
        String sql = SqlResource.load("table-checksum.sql").replace("{table}", (table.partitioned() ? "" : "ONLY ") + table.id().quoted())
                .replace("{order_by}", orderBy).replace("{row}", row);
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return new TableChecksum(table.id(), rs.getLong(1), rs.getString(2));
        }
    }

    private static boolean tableExists(Connection connection, TableInfo table) throws SQLException {
        try (var ps = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table.id().quoted());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}
