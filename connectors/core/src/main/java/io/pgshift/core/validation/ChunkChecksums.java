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
import io.pgshift.core.catalog.TableInfo;

/**
 * Validation in chunks of bounded size: a table is split into ranges of its key (chunks), and each chunk is summed on each server
 * into a row count and an order-independent checksum ({@code chunk-checksum.sql}: the sum of the 64-bit halves of every row's md5).
 * Neither server builds a string of the rows or sorts them, so memory stays constant at any table size, and chunks can be summed in
 * parallel and again one by one. When a chunk differs, {@link #differingRows} names the keys; {@link #compareKeys} compares single
 * rows by key on both sides.
 * <p>
 * Rows are printed as {@code ROW(columns in the source's order)::text} under {@code session-text-format.sql}, so a target whose
 * columns stand in another order compares equal when its values do. Key ranges are compared with the key columns' own operators and
 * collations (PostgreSQL's B-tree order, the order of the key's index), so each chunk is one index range scan.
 */
public final class ChunkChecksums {

    /** Chunks are planned from a sample of this many keys per chunk (non-integer keys). */
    private static final int SAMPLE_PER_CHUNK = 32;
    /** Keys compared per statement by {@link #compareKeys}. */
    private static final int KEYS_PER_STATEMENT = 2_000;
    /** A chunk larger than this is not read into memory to name its differing keys. */
    private static final int MAX_ROWS_TO_NAME = 300_000;

    private ChunkChecksums() {
    }

    /**
     * A table as validation reads it.
     *
     * @param row        {@code ROW(t."a", ...)::text}, the source's columns in the source's order
     * @param keyColumns the columns that identify a row ({@link TableInfo#keyColumns()}); empty: the table is one chunk
     * @param keyTypes   each key column's type without modifier ({@code format_type(atttypid, -1)}: {@code bpchar}, not {@code character},
     *                   which in a cast means {@code char(1)} and would cut the value; format_type.c), to parse values as
     * @param integerKey whether the key is one smallint, integer or bigint column (chunks are then equal ranges of its values)
     */
    public record TableShape(TableInfo info, String row, List<String> keyColumns, List<String> keyTypes, boolean integerKey) {

        /** The table as a FROM item: ONLY for a plain table (its inheritance children are tables of their own). */
        public String from() {
            return (info.partitioned() ? "" : "ONLY ") + info.id().quoted();
        }

        public boolean keyed() {
            return !keyColumns.isEmpty();
        }
    }

    /**
     * One chunk: the rows whose key is at or above {@code lower} and below {@code upper} in the key's B-tree order; a null bound is
     * open, so a table's chunks together cover every key. Bounds are the key columns' text forms.
     */
    public record KeyRange(int index, List<String> lower, List<String> upper) {

        public static KeyRange whole() {
            return new KeyRange(0, null, null);
        }

        /** For reports: {@code (id) >= (100) and < (200)}, or "the whole table". */
        public String describe(List<String> keyColumns) {
            if (lower == null && upper == null) {
                return "the whole table";
            }
            String cols = "(" + String.join(", ", keyColumns) + ")";
            String lo = lower == null ? "" : cols + " >= (" + String.join(", ", lower) + ")";
            String hi = upper == null ? "" : cols + " < (" + String.join(", ", upper) + ")";
            return lo.isEmpty() ? hi : hi.isEmpty() ? lo : lo + " and < (" + String.join(", ", upper) + ")";
        }
    }

    /** A chunk's row count and checksum on one server. */
    public record ChunkSum(long rows, String checksum) {
    }

    /** One row that differs: its key (text forms) and how. */
    public record RowDifference(List<String> key, String kind) {

        public static final String MISSING_ON_TARGET = "missing on the target";
        public static final String ONLY_ON_TARGET = "only on the target";
        public static final String VALUES_DIFFER = "values differ";

        @Override
        public String toString() {
            return "(" + String.join(", ", key) + ") " + kind;
        }
    }

    /** What comparing rows by key found: how many keys were compared, how many differ, and the first few of those. */
    public record KeyComparison(long compared, long differing, List<RowDifference> examples) {
    }

    /**
     * Sets the session up for validation: autocommit (each statement reads its own snapshot), the text format rows are printed in,
     * identical on both servers, and no parallel workers (chunks are compared {@code validation.threads} at a time already; a chunk's
     * index range scan with two workers each made a 2-core server run three times as many processes as it has cores).
     */
    public static void prepareSession(Connection c) throws SQLException {
        c.setAutoCommit(true);
        try (Statement st = c.createStatement()) {
            st.execute(SqlResource.load("session-text-format.sql").replace("SET LOCAL", "SET"));
            st.execute("SET max_parallel_workers_per_gather = 0");
        }
    }

    /** Reads the table's columns and key types from the source. */
    public static TableShape shape(Connection source, TableInfo table) throws SQLException {
        List<String> columns = new ArrayList<>();
        Map<String, String> types = new HashMap<>();
        Map<String, Integer> typeOids = new HashMap<>();
        try (PreparedStatement ps = source.prepareStatement("SELECT attname, format_type(atttypid, -1), atttypid::int FROM pg_attribute"
                + " WHERE attrelid = to_regclass(?) AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
            ps.setString(1, table.id().quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add("t." + Identifiers.quote(rs.getString(1)));
                    types.put(rs.getString(1), rs.getString(2));
                    typeOids.put(rs.getString(1), rs.getInt(3));
                }
            }
        }
        if (columns.isEmpty()) {
            throw new SQLException("Table " + table.id() + " is gone from the source, or has no columns");
        }
        List<String> key = table.keyColumns();
        List<String> keyTypes = key.stream().map(types::get).toList();
        // int2, int4, int8 (pg_type.dat)
        boolean integerKey = key.size() == 1 && List.of(20, 21, 23).contains(typeOids.get(key.get(0)));
        return new TableShape(table, "ROW(" + String.join(", ", columns) + ")::text", key, keyTypes, integerKey);
    }

    /**
     * Splits the table into chunks of about {@code chunkRows} rows (by the planner's row estimate, or a count when the table was never
     * analyzed): equal ranges between the lowest and highest value of a single integer key; else ranges between keys sampled with
     * {@code TABLESAMPLE SYSTEM} and sorted in the key's order. The first and last chunks are open. A table without a key, or
     * smaller than a chunk, is one chunk.
     */
    public static List<KeyRange> plan(Connection source, TableShape shape, long chunkRows) throws SQLException {
        if (!shape.keyed()) {
            return List.of(KeyRange.whole());
        }
        long rows = shape.info().estimatedRows();
        if (rows <= 0) {
            try (Statement st = source.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + shape.from())) {
                rs.next();
                rows = rs.getLong(1);
            }
        }
        long wanted = Math.min(100_000, (rows + chunkRows - 1) / Math.max(1, chunkRows));
        if (wanted <= 1) {
            return List.of(KeyRange.whole());
        }
        List<List<String>> bounds = shape.integerKey() ? integerBounds(source, shape, wanted) : sampledBounds(source, shape, rows, wanted);
        if (bounds.isEmpty()) {
            return List.of(KeyRange.whole());
        }
        List<KeyRange> ranges = new ArrayList<>();
        ranges.add(new KeyRange(0, null, bounds.get(0)));
        for (int i = 1; i < bounds.size(); i++) {
            ranges.add(new KeyRange(i, bounds.get(i - 1), bounds.get(i)));
        }
        ranges.add(new KeyRange(bounds.size(), bounds.get(bounds.size() - 1), null));
        return ranges;
    }

    private static List<List<String>> integerBounds(Connection source, TableShape shape, long wanted) throws SQLException {
        String k = "t." + Identifiers.quote(shape.keyColumns().get(0));
        java.math.BigInteger min;
        java.math.BigInteger max;
        try (Statement st = source.createStatement();
             ResultSet rs = st.executeQuery("SELECT min(" + k + ")::text, max(" + k + ")::text FROM " + shape.from() + " AS t")) {
            rs.next();
            if (rs.getString(1) == null) {
                return List.of();
            }
            min = new java.math.BigInteger(rs.getString(1));
            max = new java.math.BigInteger(rs.getString(2));
        }
        java.math.BigInteger span = max.subtract(min).add(java.math.BigInteger.ONE);
        long n = Math.min(wanted, span.min(java.math.BigInteger.valueOf(100_000)).longValue());
        List<List<String>> bounds = new ArrayList<>();
        for (long i = 1; i < n; i++) {
            bounds.add(List.of(min.add(span.multiply(java.math.BigInteger.valueOf(i)).divide(java.math.BigInteger.valueOf(n))).toString()));
        }
        return bounds;
    }

    private static List<List<String>> sampledBounds(Connection source, TableShape shape, long rows, long wanted) throws SQLException {
        // SYSTEM samples whole pages: four times the keys wanted, and never under half a percent, so that a small or clustered table still
        // yields enough of them.
        double percent = Math.min(100.0, Math.max(0.5, 400.0 * wanted * SAMPLE_PER_CHUNK / Math.max(1, rows)));
        String keys = shape.keyColumns().stream().map(c -> "(t." + Identifiers.quote(c) + ")::text").collect(Collectors.joining(", "));
        String order = shape.keyColumns().stream().map(c -> "t." + Identifiers.quote(c)).collect(Collectors.joining(", "));
        List<List<String>> sample = new ArrayList<>();
        try (Statement st = source.createStatement();
             ResultSet rs = st.executeQuery("SELECT " + keys + " FROM " + shape.from() + " AS t TABLESAMPLE SYSTEM (" + percent + ") ORDER BY "
                     + order)) {
            while (rs.next()) {
                List<String> key = new ArrayList<>();
                for (int i = 1; i <= shape.keyColumns().size(); i++) {
                    key.add(rs.getString(i));
                }
                sample.add(key);
            }
        }
        List<List<String>> bounds = new ArrayList<>();
        long step = Math.max(1, sample.size() / wanted);
        for (int i = (int) step; i < sample.size(); i += step) {
            if (bounds.isEmpty() || !bounds.get(bounds.size() - 1).equals(sample.get(i))) {
                bounds.add(sample.get(i));
            }
        }
        return bounds;
    }

    /** The chunk's predicate on {@code t}, with a bind parameter per bound value ({@link #bind}). */
    static String predicate(TableShape shape, KeyRange range) {
        if (range.lower() == null && range.upper() == null) {
            return "true";
        }
        List<String> cols = shape.keyColumns().stream().map(c -> "t." + Identifiers.quote(c)).toList();
        String left = cols.size() == 1 ? cols.get(0) : "(" + String.join(", ", cols) + ")";
        String params = shape.keyTypes().stream().map(t -> "?::" + t).collect(Collectors.joining(", "));
        String right = cols.size() == 1 ? params : "(" + params + ")";
        List<String> parts = new ArrayList<>();
        if (range.lower() != null) {
            parts.add(left + " >= " + right);
        }
        if (range.upper() != null) {
            parts.add(left + " < " + right);
        }
        return String.join(" AND ", parts);
    }

    static int bind(PreparedStatement ps, KeyRange range, int first) throws SQLException {
        int i = first;
        for (List<String> bound : java.util.Arrays.asList(range.lower(), range.upper())) {
            if (bound != null) {
                for (String v : bound) {
                    ps.setString(i++, v);
                }
            }
        }
        return i;
    }

    /** The chunk's row count and checksum on this server. */
    public static ChunkSum checksum(Connection c, TableShape shape, KeyRange range) throws SQLException {
        String sql = SqlResource.load("chunk-checksum.sql").replace("{table}", shape.from()).replace("{row}", shape.row())
                .replace("{range}", predicate(shape, range));
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, range, 1);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new ChunkSum(rs.getLong(1), rs.getString(2));
            }
        }
    }

    /** Whether the table exists on this server. */
    public static boolean exists(Connection c, TableShape shape) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, shape.info().id().quoted());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * Names the rows of a keyed chunk that differ between the two servers (at most {@code limit}): the source's keys and row hashes of
     * the chunk are read into memory (a chunk is bounded; one over {@value #MAX_ROWS_TO_NAME} rows, about 60 MB of heap, is not read, and nothing is named),
     * then the target's are matched against them.
     */
    public static List<RowDifference> differingRows(Connection source, Connection target, TableShape shape, KeyRange range, int limit)
            throws SQLException {
        List<RowDifference> found = shape.keyed() ? rowDifferences(source, target, shape, range, limit) : null;
        return found == null ? List.of() : found;
    }

    /** As {@link #differingRows}, but null when the rows cannot be named (no key, or a chunk too large to read into memory). */
    public static List<RowDifference> rowDifferences(Connection source, Connection target, TableShape shape, KeyRange range, int limit)
            throws SQLException {
        if (!shape.keyed()) {
            return null;
        }
        String keys = shape.keyColumns().stream().map(c -> "(t." + Identifiers.quote(c) + ")::text").collect(Collectors.joining(", "));
        String sql = "SELECT " + keys + ", md5(" + shape.row() + ") FROM " + shape.from() + " AS t WHERE " + predicate(shape, range);
        Map<List<String>, String> sourceRows = new HashMap<>();
        int n = shape.keyColumns().size();
        boolean auto = source.getAutoCommit();
        source.setAutoCommit(false); // a cursor: PgJDBC streams only inside a transaction
        try (PreparedStatement ps = source.prepareStatement(sql)) {
            ps.setFetchSize(10_000);
            bind(ps, range, 1);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (sourceRows.size() >= MAX_ROWS_TO_NAME) {
                        return null;
                    }
                    sourceRows.put(key(rs, n), rs.getString(n + 1));
                }
            }
        }
        finally {
            source.commit();
            source.setAutoCommit(auto);
        }
        List<RowDifference> found = new ArrayList<>();
        boolean targetAuto = target.getAutoCommit();
        target.setAutoCommit(false);
        try (PreparedStatement ps = target.prepareStatement(sql)) {
            ps.setFetchSize(10_000);
            bind(ps, range, 1);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> key = key(rs, n);
                    String hash = sourceRows.remove(key);
                    if (hash == null && found.size() < limit) {
                        found.add(new RowDifference(key, RowDifference.ONLY_ON_TARGET));
                    }
                    else if (hash != null && !hash.equals(rs.getString(n + 1)) && found.size() < limit) {
                        found.add(new RowDifference(key, RowDifference.VALUES_DIFFER));
                    }
                }
            }
        }
        finally {
            target.commit();
            target.setAutoCommit(targetAuto);
        }
        sourceRows.keySet().stream().limit(Math.max(0, limit - found.size())).forEach(k -> found.add(new RowDifference(k, RowDifference.MISSING_ON_TARGET)));
        return found;
    }

    private static List<String> key(ResultSet rs, int n) throws SQLException {
        List<String> key = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            key.add(rs.getString(i));
        }
        return key;
    }

    /**
     * Compares single rows by key on both servers: for each key, the md5 of the row's text on each side (or none). Keys are the key
     * columns' text forms, in {@link TableShape#keyColumns()} order; the servers parse them with the columns' types.
     */
    public static KeyComparison compareKeys(Connection source, Connection target, TableShape shape, List<List<String>> keys, int limit)
            throws SQLException {
        long differing = 0;
        List<RowDifference> examples = new ArrayList<>();
        for (int from = 0; from < keys.size(); from += KEYS_PER_STATEMENT) {
            List<List<String>> batch = keys.subList(from, Math.min(keys.size(), from + KEYS_PER_STATEMENT));
            List<String> s = rowHashes(source, shape, batch);
            List<String> t = rowHashes(target, shape, batch);
            for (int i = 0; i < batch.size(); i++) {
                String a = s.get(i);
                String b = t.get(i);
                if (java.util.Objects.equals(a, b)) {
                    continue;
                }
                differing++;
                if (examples.size() < limit) {
                    examples.add(new RowDifference(batch.get(i), a == null ? RowDifference.ONLY_ON_TARGET
                            : b == null ? RowDifference.MISSING_ON_TARGET : RowDifference.VALUES_DIFFER));
                }
            }
        }
        return new KeyComparison(keys.size(), differing, examples);
    }

    private static List<String> rowHashes(Connection c, TableShape shape, List<List<String>> keys) throws SQLException {
        int n = shape.keyColumns().size();
        List<String> unnest = new ArrayList<>();
        List<String> aliases = new ArrayList<>();
        List<String> match = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            unnest.add("?::text[]");
            aliases.add("c" + i);
            match.add("t." + Identifiers.quote(shape.keyColumns().get(i)) + " = k.c" + i + "::" + shape.keyTypes().get(i));
        }
        String sql = SqlResource.load("rows-by-key.sql")
                .replace("{keys}", "unnest(" + String.join(", ", unnest) + ") WITH ORDINALITY AS k(" + String.join(", ", aliases) + ", ord)")
                .replace("{table}", shape.from()).replace("{row}", shape.row()).replace("{match}", String.join(" AND ", match))
                .replace("{found}", "t." + Identifiers.quote(shape.keyColumns().get(0)) + " IS NOT NULL");
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < n; i++) {
                final int col = i;
                ps.setArray(i + 1, c.createArrayOf("text", keys.stream().map(k -> k.get(col)).toArray()));
            }
            String[] hashes = new String[keys.size()];
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int i = rs.getInt(1) - 1;
                    // Two rows with one key (a server without the unique index): never equal to anything.
                    hashes[i] = hashes[i] == null ? rs.getString(2) : "duplicate key " + System.nanoTime();
                }
            }
            return java.util.Arrays.asList(hashes);
        }
    }
}
