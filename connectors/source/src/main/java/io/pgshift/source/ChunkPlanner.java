package io.pgshift.source;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import io.pgshift.core.Identifiers;
import io.pgshift.core.SqlResource;
import io.pgshift.core.catalog.TableInfo;
import io.pgshift.core.load.LoadPart;

/**
 * Splits the tables of a bulk load into chunks of about {@code chunkBytes} of table data, inside the load's snapshot, so that parallel
 * readers share the work: by ranges of a single integer primary key (found by its index, so every chunk reads only its range); else,
 * on PostgreSQL 14 and later, by ranges of heap blocks ({@code ctid}, a TID range scan); else the whole table is one chunk.
 */
public final class ChunkPlanner {

    private ChunkPlanner() {
    }

    /** The chunks of every table, the largest first. {@code snapshot} must be in the load's snapshot transaction. */
    public static List<LoadChunk> plan(Connection snapshot, List<TableInfo> tables, long chunkBytes) throws SQLException {
        int serverVersion;
        try (Statement st = snapshot.createStatement(); ResultSet rs = st.executeQuery("SELECT current_setting('server_version_num')::int")) {
            rs.next();
            serverVersion = rs.getInt(1);
        }
        List<LoadChunk> chunks = new ArrayList<>();
        String sql = SqlResource.load("/io/pgshift/source/sql/load-table.sql");
        for (TableInfo t : tables) {
            try (PreparedStatement ps = snapshot.prepareStatement(sql)) {
                ps.setString(1, t.id().quoted());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    boolean partitioned = "p".equals(rs.getString("relkind"));
                    List<String> columns = Arrays.asList((String[]) rs.getArray("columns").getArray());
                    LoadPart.Format format = rs.getBoolean("binary_safe") ? LoadPart.Format.BINARY : LoadPart.Format.TEXT;
                    long bytes = rs.getLong("table_bytes");
                    long blocks = rs.getLong("heap_blocks");
                    String intKey = rs.getString("int_key");
                    int wanted = (int) Math.min(10_000, Math.max(1, (bytes + chunkBytes - 1) / chunkBytes));
                    List<String> predicates = List.of("");
                    if (wanted > 1 && intKey != null) {
                        predicates = keyRanges(snapshot, t, partitioned, intKey, wanted);
                    }
                    else if (wanted > 1 && !partitioned && serverVersion >= 140000 && blocks > wanted) {
                        predicates = blockRanges(blocks, wanted);
                    }
                    for (int i = 0; i < predicates.size(); i++) {
                        chunks.add(new LoadChunk(t.id(), partitioned, columns, format, i, predicates.size(), predicates.get(i), bytes / predicates.size()));
                    }
                }
            }
        }
        chunks.sort(Comparator.comparingLong(LoadChunk::estimatedBytes).reversed());
        return chunks;
    }

    /** Equal ranges between the key's lowest and highest value; the first and last are open, so together they cover every value. */
    static List<String> keyRanges(Connection snapshot, TableInfo t, boolean partitioned, String key, int wanted) throws SQLException {
        String k = Identifiers.quote(key);
        long min;
        long max;
        try (Statement st = snapshot.createStatement();
             ResultSet rs = st.executeQuery("SELECT min(" + k + "), max(" + k + ") FROM " + (partitioned ? "" : "ONLY ") + t.id().quoted())) {
            rs.next();
            min = rs.getLong(1);
            if (rs.wasNull()) {
                return List.of("");
            }
            max = rs.getLong(2);
        }
        return splitRange(k, min, max, wanted);
    }

    static List<String> splitRange(String quotedKey, long min, long max, int wanted) {
        java.math.BigInteger span = java.math.BigInteger.valueOf(max).subtract(java.math.BigInteger.valueOf(min)).add(java.math.BigInteger.ONE);
        long n = Math.min(wanted, span.min(java.math.BigInteger.valueOf(Integer.MAX_VALUE)).longValue());
        if (n <= 1) {
            return List.of("");
        }
        List<Long> bounds = new ArrayList<>();
        for (long i = 1; i < n; i++) {
            bounds.add(java.math.BigInteger.valueOf(min).add(span.multiply(java.math.BigInteger.valueOf(i)).divide(java.math.BigInteger.valueOf(n))).longValueExact());
        }
        List<String> predicates = new ArrayList<>();
        predicates.add(quotedKey + " < " + bounds.get(0));
        for (int i = 1; i < bounds.size(); i++) {
            predicates.add(quotedKey + " >= " + bounds.get(i - 1) + " AND " + quotedKey + " < " + bounds.get(i));
        }
        predicates.add(quotedKey + " >= " + bounds.get(bounds.size() - 1));
        return predicates;
    }

    /** Equal ranges of heap blocks; the last is open, so rows in blocks added since the size was read are covered too. */
    static List<String> blockRanges(long blocks, int wanted) {
        List<String> predicates = new ArrayList<>();
        long step = (blocks + wanted - 1) / wanted;
        for (long b = 0; b < blocks; b += step) {
            String lower = b == 0 ? "" : "ctid >= '(" + b + ",0)'::tid";
            String upper = b + step >= blocks ? "" : "ctid < '(" + (b + step) + ",0)'::tid";
            predicates.add(lower.isEmpty() ? upper : upper.isEmpty() ? lower : lower + " AND " + upper);
        }
        return predicates;
    }
}
