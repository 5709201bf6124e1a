package io.pgshift.core.catalog;

import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.pgshift.core.SqlResource;
import io.pgshift.core.TableId;
import io.pgshift.core.TableSelection;

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
                tables.add(new TableInfo(id, "p".equals(rs.getString("relkind")), rs.getString("replica_identity").charAt(0),
                        names(rs.getArray("key_columns")), names(rs.getArray("identity_index_columns")), rs.getLong("estimated_rows")));
            }
        }
        return tables;
    }

    private static List<String> names(Array array) throws SQLException {
        return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
    }
}
