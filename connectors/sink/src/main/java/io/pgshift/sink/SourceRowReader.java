package io.pgshift.sink;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

import io.pgshift.core.Identifiers;
import io.pgshift.core.PgEndpoint;
import io.pgshift.core.SqlResource;
import io.pgshift.core.TableId;

/**
 * Reads, by primary key, the exact text of column values that a change record does not carry exactly
 * (see {@link DebeziumFidelity}). The value read is the row's current value, at or after the change being
 * applied; if the row changed again, or is gone, a later record in the same partition carries that change,
 * so once the stream is applied the target holds the source's exact value. A row that is gone is reported
 * absent and its record is skipped: the record that removed it follows.
 */
final class SourceRowReader implements AutoCloseable {

    private final PgEndpoint source;
    private final String database;
    private final Map<TableId, Map<String, String>> columnTypes = new HashMap<>();
    /** Source tables that are partitioned (their rows are in their partitions); a plain table is read {@code FROM ONLY}. */
    private final Map<TableId, Boolean> partitioned = new HashMap<>();
    private Connection connection;

    SourceRowReader(PgEndpoint source, String database) {
        this.source = Objects.requireNonNull(source);
        this.database = Objects.requireNonNull(database);
    }

    String database() {
        return database;
    }

    /**
     * The text of {@code columns} for each row whose key is in {@code keys} (key values as text, in
     * {@code keyColumns} order); rows that no longer exist are absent from the result.
     */
    Map<List<String>, Map<String, String>> read(TableId table, List<String> keyColumns, List<String> columns, Collection<List<String>> keys)
            throws SQLException {
        Map<List<String>, Map<String, String>> rows = new HashMap<>();
        if (keys.isEmpty()) {
            return rows;
        }
        Connection c = connection();
        Map<String, String> types = types(c, table);
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < keyColumns.size(); i++) {
            sql.append("u.k").append(i).append(", ");
        }
        sql.append(columns.stream().map(col -> "(t." + Identifiers.quote(col) + ")::text").collect(Collectors.joining(", ")));
        sql.append(" FROM unnest(");
        sql.append(keyColumns.stream().map(k -> "?::text[]").collect(Collectors.joining(", ")));
        sql.append(") AS u(");
        for (int i = 0; i < keyColumns.size(); i++) {
            sql.append(i > 0 ? ", " : "").append('k').append(i);
        }
        // ONLY: a plain table's inheritance children may hold rows with the same key; they are tables of their own.
        sql.append(") JOIN ").append(Boolean.TRUE.equals(partitioned.get(table)) ? "" : "ONLY ").append(table.quoted()).append(" AS t ON ");
        for (int i = 0; i < keyColumns.size(); i++) {
            String type = types.get(keyColumns.get(i));
            if (type == null) {
                throw new SQLException("Source table " + table + " in database '" + database + "' has no column \"" + keyColumns.get(i) + "\"");
            }
            sql.append(i > 0 ? " AND " : "").append("t.").append(Identifiers.quote(keyColumns.get(i))).append(" = u.k").append(i).append("::").append(type);
        }
        List<List<String>> keyList = new ArrayList<>(keys);
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < keyColumns.size(); i++) {
                int col = i;
                Array array = c.createArrayOf("text", keyList.stream().map(k -> k.get(col)).toArray());
                ps.setArray(i + 1, array);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> key = new ArrayList<>(keyColumns.size());
                    for (int i = 0; i < keyColumns.size(); i++) {
                        key.add(rs.getString(i + 1));
                    }
                    Map<String, String> values = new HashMap<>();
                    for (int i = 0; i < columns.size(); i++) {
                        values.put(columns.get(i), rs.getString(keyColumns.size() + i + 1));
                    }
                    rows.put(key, values);
                }
            }
        }
        return rows;
    }

    /**
     * The value each of these columns holds for rows that existed when it was added with a default evaluated once
     * ({@code pg_attribute.attmissingval}, as text), by column; absent for a column the source has not (or not so).
     */
    Map<String, String> missingValues(TableId table, Collection<String> columns) throws SQLException {
        Map<String, String> values = new HashMap<>();
        Connection c = connection();
        try (PreparedStatement ps = c.prepareStatement("SELECT attname, attmissingval::text FROM pg_attribute WHERE attrelid = to_regclass(?)"
                + " AND attname = ANY (?) AND atthasmissing")) {
            ps.setString(1, table.quoted());
            ps.setArray(2, c.createArrayOf("text", columns.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    values.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return values;
    }

    /** Forgets the tables' column types (read again when next needed): a schema change may have renamed or retyped them. */
    void forgetTypes() {
        columnTypes.clear();
        partitioned.clear();
    }

    private Map<String, String> types(Connection c, TableId table) throws SQLException {
        Map<String, String> types = columnTypes.get(table);
        if (types == null) {
            types = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT a.attname, format_type(a.atttypid, a.atttypmod), c.relkind = 'p'"
                    + " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
                    + " WHERE c.oid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped")) {
                ps.setString(1, table.quoted());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        types.put(rs.getString(1), rs.getString(2));
                        partitioned.put(table, rs.getBoolean(3));
                    }
                }
            }
            columnTypes.put(table, types);
        }
        return types;
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) { // a broken connection fails the read; the resolver then closes it and the batch is retried
            close();
            connection = source.connect(database, "pgshift-exact-reader");
            connection.setAutoCommit(true);
            try (Statement st = connection.createStatement()) {
                // The same text settings as the applier's target session, so the target parses what is printed here.
                st.execute(SqlResource.load("session-text-format.sql").replace("SET LOCAL", "SET"));
                st.execute("SET default_transaction_read_only = on");
            }
        }
        return connection;
    }

    @Override
    public void close() {
        try {
            if (connection != null) {
                connection.close();
            }
        }
        catch (SQLException ignored) {
            // the connection is gone either way
        }
        connection = null;
    }
}
