package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.pgshift.core.TableSelection;
import io.pgshift.core.catalog.Catalog;
import io.pgshift.core.catalog.TableInfo;
import io.pgshift.core.validation.ChunkChecksums;
import io.pgshift.core.validation.ChunkChecksums.ChunkSum;
import io.pgshift.core.validation.ChunkChecksums.KeyRange;
import io.pgshift.core.validation.ChunkChecksums.RowDifference;
import io.pgshift.core.validation.ChunkChecksums.TableShape;
import io.pgshift.testkit.TestServers;

/**
 * Chunks of every kind of key, on a PostgreSQL 13 source and a 16 target holding the same rows: together the chunks cover every row
 * exactly once, each is equal on both servers (whatever order the target's columns stand in), and a row changed, deleted or added on
 * the target makes exactly its chunk differ, named by key; comparing those keys one by one finds the same rows.
 */
class ChunkValidationIT {

    /** name, DDL (both servers), rows (both servers), target DDL when it differs (null: the same), then key texts to change, delete, add. */
    static List<Arguments> kinds() {
        return List.of(
                Arguments.of("integer key with gaps and negatives", "CREATE TABLE t (id int PRIMARY KEY, v text)",
                        "INSERT INTO t SELECT g * 7 - 3000, 'v' || g FROM generate_series(1, 2000) g", null,
                        "UPDATE t SET v = 'x' WHERE id = 500", "DELETE FROM t WHERE id = 10993", "INSERT INTO t VALUES (-5000, 'new')"),
                Arguments.of("bigint key at both ends of its range", "CREATE TABLE t (id bigint PRIMARY KEY, v text)",
                        "INSERT INTO t SELECT CASE WHEN g % 2 = 0 THEN -9223372036854775807 + g ELSE 9223372036854775807 - g END, 'v' || g"
                                + " FROM generate_series(1, 1000) g", null,
                        "UPDATE t SET v = 'x' WHERE id = 9223372036854775806", "DELETE FROM t WHERE id = -9223372036854775805",
                        "INSERT INTO t VALUES (0, 'middle')"),
                Arguments.of("composite key of text (with quotes, commas, spaces, non-ASCII, a C collation) and int",
                        "CREATE TABLE t (k text COLLATE \"C\", n int, v numeric, PRIMARY KEY (k, n))",
                        "INSERT INTO t SELECT (ARRAY['a,b', 'é \"q\"', 'Zürich', ' lead', 'tab\tx', 'x''y'])[1 + g % 6] || (g % 97), g, g / 3.0"
                                + " FROM generate_series(1, 3000) g", null,
                        "UPDATE t SET v = -1 WHERE n = 1500", "DELETE FROM t WHERE n = 2999", "INSERT INTO t VALUES ('ünique', 1, 0)"),
                Arguments.of("char(n) and bit(n) key (a cast to the bare type name would cut it to one character)",
                        "CREATE TABLE t (code char(3), flags bit(4), v int, PRIMARY KEY (code, flags))",
                        "INSERT INTO t SELECT lpad(g::text, 3, '0'), (g % 16)::bit(4), g FROM generate_series(1, 999) g", null,
                        "UPDATE t SET v = -1 WHERE code = '500'", "DELETE FROM t WHERE code = '998'", "INSERT INTO t VALUES ('ab', B'1111', 0)"),
                Arguments.of("uuid key", "CREATE TABLE t (id uuid PRIMARY KEY, v int)",
                        "INSERT INTO t SELECT md5(g::text)::uuid, g FROM generate_series(1, 2500) g", null,
                        "UPDATE t SET v = -1 WHERE v = 100", "DELETE FROM t WHERE v = 2000", "INSERT INTO t VALUES ('00000000-0000-0000-0000-000000000000', 0)"),
                Arguments.of("timestamptz and numeric key", "CREATE TABLE t (at timestamptz, amount numeric(10,3), v text, PRIMARY KEY (at, amount))",
                        "INSERT INTO t SELECT timestamptz '2020-01-01 00:00:00.123456+00' + g * interval '1 minute 1.5 seconds', g / 8.0, 'v'"
                                + " FROM generate_series(1, 2000) g", null,
                        "UPDATE t SET v = 'x' WHERE amount = 100.000", "DELETE FROM t WHERE amount = 200.000",
                        "INSERT INTO t VALUES ('infinity', 1, 'inf')"),
                Arguments.of("partitioned table with a key", "CREATE TABLE t (id int, region text, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);"
                        + " CREATE TABLE t_eu PARTITION OF t FOR VALUES IN ('eu'); CREATE TABLE t_us PARTITION OF t FOR VALUES IN ('us')",
                        "INSERT INTO t SELECT g, CASE WHEN g % 3 = 0 THEN 'eu' ELSE 'us' END, 'v' || g FROM generate_series(1, 2000) g", null,
                        "UPDATE t SET v = 'x' WHERE id = 30", "DELETE FROM t WHERE id = 1001", "INSERT INTO t VALUES (5000, 'eu', 'new')"),
                Arguments.of("key from REPLICA IDENTITY USING INDEX, no primary key",
                        "CREATE TABLE t (code text NOT NULL, v int); CREATE UNIQUE INDEX t_code ON t (code); ALTER TABLE t REPLICA IDENTITY USING INDEX t_code",
                        "INSERT INTO t SELECT 'code-' || g, g FROM generate_series(1, 2000) g", null,
                        "UPDATE t SET v = -1 WHERE code = 'code-1234'", "DELETE FROM t WHERE code = 'code-77'", "INSERT INTO t VALUES ('code-x', 0)"),
                Arguments.of("columns in another order on the target", "CREATE TABLE t (id int PRIMARY KEY, a text, b int)",
                        "INSERT INTO t (id, a, b) SELECT g, 'a' || g, g * 2 FROM generate_series(1, 1500) g", "CREATE TABLE t (b int, a text, id int PRIMARY KEY)",
                        "UPDATE t SET b = 0 WHERE id = 10", "DELETE FROM t WHERE id = 1499", "INSERT INTO t (id, a, b) VALUES (0, 'zero', 0)"),
                Arguments.of("no key (REPLICA IDENTITY FULL), duplicate rows", "CREATE TABLE t (v int, w text); ALTER TABLE t REPLICA IDENTITY FULL",
                        "INSERT INTO t SELECT g % 500, 'w' FROM generate_series(1, 2000) g", null,
                        "UPDATE t SET w = 'x' WHERE ctid = (SELECT min(ctid) FROM t WHERE v = 7)", "DELETE FROM t WHERE ctid = (SELECT min(ctid) FROM t WHERE v = 8)",
                        "INSERT INTO t VALUES (7, 'w')"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void chunksCoverEveryRowOnceAndADifferenceIsNamedByKey(String kind, String ddl, String rows, String targetDdl, String change, String delete,
                                                            String add) throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("chunks");
        try (Connection s = servers.source().connect(db); Connection t = servers.target().connect(db)) {
            run(s, ddl, rows, "ANALYZE");
            run(t, targetDdl == null ? ddl : targetDdl, rows);
            ChunkChecksums.prepareSession(s);
            ChunkChecksums.prepareSession(t);
            TableInfo info = Catalog.selectedTables(s, new TableSelection(List.of("public.t"), List.of())).get(0);
            TableShape shape = ChunkChecksums.shape(s, info);
            List<KeyRange> ranges = ChunkChecksums.plan(s, shape, 100);
            long count = count(s);
            if (shape.keyed()) {
                assertThat(ranges).as("chunks of %d rows", count).hasSizeGreaterThan(5);
            }
            else {
                assertThat(ranges).containsExactly(KeyRange.whole());
            }
            long covered = 0;
            for (KeyRange r : ranges) {
                ChunkSum a = ChunkChecksums.checksum(s, shape, r);
                ChunkSum b = ChunkChecksums.checksum(t, shape, r);
                assertThat(b).as("chunk %s", r.describe(shape.keyColumns())).isEqualTo(a);
                covered += a.rows();
            }
            assertThat(covered).as("rows covered by the chunks").isEqualTo(count);

            run(t, change, delete, add);
            List<KeyRange> differing = new ArrayList<>();
            List<RowDifference> named = new ArrayList<>();
            for (KeyRange r : ranges) {
                if (!ChunkChecksums.checksum(s, shape, r).equals(ChunkChecksums.checksum(t, shape, r))) {
                    differing.add(r);
                    named.addAll(ChunkChecksums.differingRows(s, t, shape, r, 10));
                }
            }
            assertThat(differing).as("chunks that differ").isNotEmpty().hasSizeLessThanOrEqualTo(3);
            if (!shape.keyed()) {
                return; // rows without a key cannot be named; the table is compared whole
            }
            assertThat(named).extracting(RowDifference::kind).containsExactlyInAnyOrder(RowDifference.VALUES_DIFFER, RowDifference.MISSING_ON_TARGET,
                    RowDifference.ONLY_ON_TARGET);
            ChunkChecksums.KeyComparison byKey = ChunkChecksums.compareKeys(s, t, shape, named.stream().map(RowDifference::key).toList(), 10);
            assertThat(byKey.differing()).isEqualTo(3);
            assertThat(byKey.examples()).containsExactlyInAnyOrderElementsOf(named);
            // Rows equal on both sides compare equal by key too.
            List<List<String>> namedKeys = named.stream().map(RowDifference::key).toList();
            List<List<String>> sameKeys = keys(s, shape, 30).stream().filter(k -> !namedKeys.contains(k)).toList();
            assertThat(sameKeys).isNotEmpty();
            assertThat(ChunkChecksums.compareKeys(s, t, shape, sameKeys, 10).differing()).isZero();
        }
    }

    private static List<List<String>> keys(Connection s, TableShape shape, int n) throws Exception {
        String cols = String.join(", ", shape.keyColumns().stream().map(c -> "(\"" + c + "\")::text").toList());
        List<List<String>> keys = new ArrayList<>();
        try (Statement st = s.createStatement(); ResultSet rs = st.executeQuery("SELECT " + cols + " FROM t LIMIT " + n)) {
            while (rs.next()) {
                List<String> key = new ArrayList<>();
                for (int i = 1; i <= shape.keyColumns().size(); i++) {
                    key.add(rs.getString(i));
                }
                keys.add(key);
            }
        }
        return keys;
    }

    private static long count(Connection c) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM t")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void run(Connection c, String... sql) throws Exception {
        try (Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }
}
