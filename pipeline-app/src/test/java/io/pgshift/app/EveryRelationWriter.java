package io.pgshift.app;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

import io.pgshift.core.Identifiers;
import io.pgshift.core.PgEndpoint;
import io.pgshift.testkit.SourceWriter;

/**
 * The source application of the real-schema tests: every transaction updates a row of every relation it was given (leaf
 * partitions and inheritance children included) and deletes a row and inserts it again, directly in that relation, as an
 * application would. Each of these needs a replica identity PostgreSQL can use once the relation is published, so a single
 * failed statement means the migration broke the source ({@link #failure()}).
 */
final class EveryRelationWriter extends SourceWriter {

    private final List<String> relations;
    private final Map<String, List<String>> columns = new LinkedHashMap<>();
    /** Per relation, a column an UPDATE may set to itself (not GENERATED ALWAYS AS IDENTITY); null when it has none. */
    private final Map<String, String> updatable = new LinkedHashMap<>();
    private Connection connection;

    /** @param relations the relations to write, each as {@code schema.table} (unquoted) */
    EveryRelationWriter(PgEndpoint source, String database, List<String> relations) {
        super(source, database, 20);
        this.relations = List.copyOf(relations);
    }

    @Override
    protected void prepare(Connection c) throws SQLException {
        connection = c;
        for (String relation : relations) {
            List<String> names = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT attname, attidentity = 'a' FROM pg_attribute WHERE attrelid = to_regclass(?)"
                    + " AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum")) {
                ps.setString(1, quoted(relation));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        names.add(rs.getString(1));
                        if (!rs.getBoolean(2)) {
                            updatable.put(relation, rs.getString(1));
                        }
                    }
                }
            }
            columns.put(relation, names);
        }
        c.commit();
    }

    @Override
    protected void writeOne(ThreadLocalRandom random) throws SQLException {
        try (Statement st = connection.createStatement()) {
            for (String relation : relations) {
                String r = quoted(relation);
                List<String> cols = columns.get(relation);
                String pick = "(SELECT ctid FROM ONLY " + r + " ORDER BY random() LIMIT 1)";
                if (updatable.get(relation) != null) {
                    String c = Identifiers.quote(updatable.get(relation));
                    st.executeUpdate("UPDATE ONLY " + r + " SET " + c + " = " + c + " WHERE ctid = " + pick);
                }
                if (cols.isEmpty()) { // a table without columns: RETURNING needs one
                    if (st.executeUpdate("DELETE FROM ONLY " + r + " WHERE ctid = " + pick) > 0) {
                        st.executeUpdate("INSERT INTO " + r + " DEFAULT VALUES");
                    }
                    continue;
                }
                String list = cols.stream().map(Identifiers::quote).collect(Collectors.joining(", "));
                st.executeUpdate("WITH gone AS (DELETE FROM ONLY " + r + " WHERE ctid = " + pick + " RETURNING *) INSERT INTO " + r
                        + " (" + list + ") OVERRIDING SYSTEM VALUE SELECT " + list + " FROM gone");
            }
        }
    }

    @Override
    protected void release() {
        connection = null;
    }

    private static String quoted(String relation) {
        int dot = relation.indexOf('.');
        return Identifiers.quote(relation.substring(0, dot)) + "." + Identifiers.quote(relation.substring(dot + 1));
    }
}
