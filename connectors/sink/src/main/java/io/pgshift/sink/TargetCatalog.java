package io.pgshift.sink;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import io.pgshift.core.SqlResource;
import io.pgshift.core.TableId;

/** Reads and caches the shape of target tables. */
final class TargetCatalog {

    private final Map<TableId, TargetTable> cache = new HashMap<>();
    private final String database;

    TargetCatalog(String database) {
        this.database = database;
    }

    TargetTable table(Connection connection, TableId id) throws SQLException {
        TargetTable t = find(connection, id);
        if (t == null) {
            throw new ApplyException("Table " + id + " does not exist in target database '" + database
                    + "'. Copy the schema first (pgshift copies it when it starts; or create the table), then restart pgshift.", null);
        }
        return t;
    }

    /** The target table, or null when the target database has no such table. */
    TargetTable find(Connection connection, TableId id) throws SQLException {
        TargetTable t = cache.get(id);
        if (t == null) {
            t = load(connection, id);
            if (t != null) {
                cache.put(id, t);
            }
        }
        return t;
    }

    void clear() {
        cache.clear();
    }

    private TargetTable load(Connection connection, TableId id) throws SQLException {
        Map<String, TargetColumn> columns = new LinkedHashMap<>();
        Map<Integer, String> key = new TreeMap<>();
        boolean exists = false;
        boolean partitioned = false;
        boolean orderSensitive = false;
        boolean writeRules = false;
        try (PreparedStatement ps = connection.prepareStatement(SqlResource.load("/io/pgshift/sink/sql/target-columns.sql"))) {
            ps.setString(1, id.schema());
            ps.setString(2, id.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    exists = true;
                    partitioned = "p".equals(rs.getString("relkind"));
                    orderSensitive = rs.getBoolean("order_sensitive");
                    writeRules = rs.getBoolean("write_rules");
                    String column = rs.getString("column_name");
                    if (column == null) {
                        continue; // a table without columns
                    }
                    String gen = rs.getString("generated");
                    String kind = rs.getString("base_kind");
                    columns.put(column, new TargetColumn(column, rs.getString("type_name"), rs.getString("base_type"),
                            kind == null || kind.isEmpty() ? 'b' : kind.charAt(0), rs.getBoolean("is_array"),
                            gen != null && !gen.isEmpty(), rs.getBoolean("not_null")));
                    int pos = rs.getInt("key_position");
                    if (!rs.wasNull()) {
                        key.put(pos, column);
                    }
                }
            }
        }
        if (!exists) {
            return null;
        }
        return new TargetTable(id, columns, new ArrayList<>(key.values()), partitioned, orderSensitive, writeRules);
    }
}
