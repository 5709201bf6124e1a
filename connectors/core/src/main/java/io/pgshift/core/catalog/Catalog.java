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
import java.util.Set;
import java.util.TreeSet;

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
     * The tables whose changes may be spread over their topic's partitions by key ({@code key-partitionable.sql}): only their key
     * orders their changes, and their key prints one way in every session ({@link io.pgshift.core.change.KeyPartitioner}).
     */
    public static Set<TableId> keyPartitionable(Connection connection, List<TableInfo> tables) throws SQLException {
        Set<TableId> partitionable = new TreeSet<>();
        try (PreparedStatement ps = connection.prepareStatement(SqlResource.load("key-partitionable.sql"))) {
            for (TableInfo t : tables) {
                if (t.keyColumns().isEmpty()) {
                    continue;
                }
                ps.setString(1, t.id().quoted());
                ps.setArray(2, connection.createArrayOf("text", t.keyColumns().toArray()));
                ps.setBoolean(3, t.hasPrimaryKey());
                ps.setArray(4, connection.createArrayOf("int4", io.pgshift.core.change.KeyPartitioner.PARTITIONABLE_TYPE_OIDS.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) {
                        partitionable.add(t.id());
                    }
                }
            }
        }
        return partitionable;
    }

    /** One column of a selected table: its name and declared type, and its type after domains (Debezium's native type). */
    private record ColumnType(TableId table, String name, String typeName, long baseOid, boolean carriedExactly) {
        @Override
        public String toString() {
            return name + " (" + typeName + ")";
        }
    }

    /** The non-generated columns of these tables (generated ones the target computes), from {@code table-column-types.sql}, one query. */
    private static List<ColumnType> columnTypes(Connection connection, List<TableInfo> tables) throws SQLException {
        Map<String, TableId> byQuoted = new HashMap<>();
        for (TableInfo t : tables) {
            byQuoted.put(t.id().quoted(), t.id());
        }
        List<ColumnType> columns = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(SqlResource.load("table-column-types.sql"))) {
            ps.setArray(1, connection.createArrayOf("text", byQuoted.keySet().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String kind = rs.getString("base_kind");
                    String generated = rs.getString("generated");
                    if (rs.getString("column_name") == null || (generated != null && !generated.isEmpty())) {
                        continue;
                    }
                    columns.add(new ColumnType(byQuoted.get(rs.getString("relation")), rs.getString("column_name"), rs.getString("type_name"),
                            rs.getLong("base_oid"), DebeziumTypes.carriesExactly(rs.getString("base_type"),
                                    kind == null || kind.isEmpty() ? 'b' : kind.charAt(0), rs.getBoolean("is_array"))));
                }
            }
        }
        return columns;
    }

    /**
     * The native type OIDs (Debezium's {@code nativeType}: the type after domains) of the selected tables' columns whose values the
     * change stream does not carry exactly ({@link DebeziumTypes}): the capture marks them to be read from the source.
     */
    public static Set<Integer> inexactNativeTypes(Connection connection, List<TableInfo> tables) throws SQLException {
        Set<Integer> oids = new TreeSet<>();
        for (ColumnType c : columnTypes(connection, tables)) {
            if (!c.carriedExactly()) {
                oids.add((int) c.baseOid());
            }
        }
        return oids;
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
        Map<TableId, List<ColumnType>> byTable = new HashMap<>();
        for (ColumnType c : columnTypes(connection, tables)) {
            byTable.computeIfAbsent(c.table(), k -> new ArrayList<>()).add(c);
        }
        for (TableInfo t : tables) {
            List<ColumnType> columns = byTable.getOrDefault(t.id(), List.of());
            List<String> inexact = columns.stream().filter(c -> !c.carriedExactly()).map(ColumnType::toString).toList();
            if (columns.isEmpty()) {
                problems.put(t.id(), "no columns (or generated ones only): its inserts and deletes reach the change stream with nothing in"
                        + " them, and Debezium skips such changes");
            }
            else if (t.keyColumns().isEmpty() && !inexact.isEmpty()) {
                problems.put(t.id(), "no key, and the change stream does not carry the values of " + String.join(", ", inexact)
                        + " exactly: pgshift reads such values from the source by key");
            }
        }
        return problems;
    }

    private static List<String> names(Array array) throws SQLException {
        return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
    }
}
