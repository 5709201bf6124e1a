package io.pgshift.core.catalog;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.pgshift.core.SqlResource;
import io.pgshift.core.TableId;
import io.pgshift.core.TableSelection;
import io.pgshift.core.change.DebeziumTypes;

/** Catalog queries shared by every phase, so that check, load, streaming and validation see the same tables. */
public final class Catalog {

    private Catalog() {
    }

    /** The tables of the connected database that the selection picks, in name order. */
    public static List<TableInfo> selectedTables(Connection connection, TableSelection selection) throws SQLException {
        List<TableInfo> tables = new ArrayList<>();
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(SqlResource.load("tables.sql"))) {
            while (rs.next()) {
                TableId id = new TableId(rs.getString("schema_name"), rs.getString("table_name"));
                if (!selection.matches(id)) {
                    continue;
                }
                Map<String, String> problems = new LinkedHashMap<>();
                for (String p : names(rs.getArray("identity_problems"))) {
                    int tab = p.indexOf('\t');
                    problems.put(p.substring(0, tab), p.substring(tab + 1));
                }
                tables.add(new TableInfo(id, "p".equals(rs.getString("relkind")), rs.getString("replica_identity").charAt(0),
                        names(rs.getArray("key_columns")), names(rs.getArray("identity_index_columns")), rs.getLong("estimated_rows"), problems));
            }
        }
        return tables;
    }

    /**
     * The columns of each table as {@code "name" (type)}, by whether the change stream carries their values exactly
     * ({@link DebeziumTypes}; generated columns are left out: the target computes them). One query for all.
     */
    private static Map<TableId, Map<Boolean, List<String>>> columnsByExactness(Connection connection, List<TableInfo> tables) throws SQLException {
        Map<String, TableId> byQuoted = new HashMap<>();
        Map<TableId, Map<Boolean, List<String>>> columns = new HashMap<>();
        for (TableInfo t : tables) {
            byQuoted.put(t.id().quoted(), t.id());
            columns.put(t.id(), Map.of(true, new ArrayList<>(), false, new ArrayList<>()));
        }
        try (PreparedStatement ps = connection.prepareStatement(SqlResource.load("table-column-types.sql"))) {
            ps.setArray(1, connection.createArrayOf("text", byQuoted.keySet().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String kind = rs.getString("base_kind");
                    String generated = rs.getString("generated");
                    if (rs.getString("column_name") == null || (generated != null && !generated.isEmpty())) {
                        continue;
                    }
                    boolean exact = DebeziumTypes.carriesExactly(rs.getString("base_type"),
                            kind == null || kind.isEmpty() ? 'b' : kind.charAt(0), rs.getBoolean("is_array"));
                    columns.get(byQuoted.get(rs.getString("relation"))).get(exact)
                            .add(rs.getString("column_name") + " (" + rs.getString("type_name") + ")");
                }
            }
        }
        return columns;
    }

    /**
     * Why these tables cannot be migrated exactly, by table; empty when all can:
     * <ul>
     * <li>a table without a key (REPLICA IDENTITY FULL) with a column whose values the change stream does not carry exactly, which
     * the applier can only read from the source by key;</li>
     * <li>a table without columns (or with generated ones only): logical decoding sends its inserts and deletes with no value in
     * them, and Debezium skips such changes ({@code skipEmptyMessages}), so its streamed changes would be lost.</li>
     * </ul>
     */
    public static Map<TableId, String> notCarriedExactly(Connection connection, List<TableInfo> tables) throws SQLException {
        Map<TableId, String> problems = new LinkedHashMap<>();
        Map<TableId, Map<Boolean, List<String>>> all = columnsByExactness(connection, tables);
        for (TableInfo t : tables) {
            Map<Boolean, List<String>> columns = all.get(t.id());
            if (columns.get(true).isEmpty() && columns.get(false).isEmpty()) {
                problems.put(t.id(), "no columns (or generated ones only): its inserts and deletes reach the change stream with nothing in"
                        + " them, and Debezium skips such changes");
            }
            else if (t.keyColumns().isEmpty() && !columns.get(false).isEmpty()) {
                problems.put(t.id(), "no key, and the change stream does not carry the values of " + String.join(", ", columns.get(false))
                        + " exactly: pgshift reads such values from the source by key");
            }
        }
        return problems;
    }

    private static List<String> names(Array array) throws SQLException {
        return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
    }
}
