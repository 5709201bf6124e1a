package io.pgshift.core.validation;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import io.pgshift.core.Identifiers;
import io.pgshift.core.SqlResource;
import io.pgshift.core.catalog.Catalog;
import io.pgshift.core.catalog.TableInfo;
import io.pgshift.core.TableSelection;

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

    /** Compares these source tables with the target's tables of the same names. */
    public static TableComparison compare(Connection source, Connection target, List<TableInfo> tables) throws SQLException {
        List<TableComparison.Entry> entries = new ArrayList<>();
        boolean sourceAuto = source.getAutoCommit();
        boolean targetAuto = target.getAutoCommit();
        try {
            begin(source);
            begin(target);
            for (TableInfo table : tables) {
                TableChecksum s = checksum(source, table);
                TableChecksum t = tableExists(target, table) ? checksum(target, table) : null;
                entries.add(new TableComparison.Entry(s, t));
            }
        }
        finally {
            source.rollback();
            target.rollback();
            source.setAutoCommit(sourceAuto);
            target.setAutoCommit(targetAuto);
        }
        return new TableComparison(entries);
    }

    private static void begin(Connection c) throws SQLException {
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try (Statement st = c.createStatement()) {
            // The text forms depend on these settings: make both servers print with the same ones.
            st.execute(SqlResource.load("session-text-format.sql"));
        }
    }

    public static TableChecksum checksum(Connection connection, TableInfo table) throws SQLException {
        String orderBy = table.hasPrimaryKey()
                ? table.keyColumns().stream().map(c -> "(t." + Identifiers.quote(c) + ")::text COLLATE \"C\"").collect(Collectors.joining(", "))
                : "(t::text) COLLATE \"C\"";
        String sql = SqlResource.load("table-checksum.sql").replace("{table}", table.id().quoted()).replace("{order_by}", orderBy);
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
