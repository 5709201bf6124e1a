package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.core.change.KeyPartitioner;
import io.pgshift.testkit.TestServers;

/**
 * Changes of one table spread over several partitions by key ({@code kafka.partitionsPerTable: 4}, three appliers) arrive exactly:
 * integer, uuid, composite and domain keys under a writer that updates, deletes, inserts, changes keys and TRUNCATEs (alone and followed
 * by inserts in one transaction, which each partition must apply in its place), while tables whose order is not only per key (another
 * unique index with values swapped between rows, a text key) keep one partition. Every writer statement succeeds; target == source.
 */
class KeyPartitionedApplyIT {

    private static final int PARTITIONS = 4;

    @Test
    void keyPartitionedTablesAreAppliedInParallelAndExactly() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("keyparts");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE DOMAIN positive_id AS bigint CHECK (VALUE > 0)");
            st.execute("CREATE TABLE hot (id bigint PRIMARY KEY, v int NOT NULL, note text)");
            st.execute("INSERT INTO hot SELECT g, g % 97, 'row ' || g FROM generate_series(1, 5000) g");
            st.execute("CREATE TABLE by_uuid (id uuid PRIMARY KEY, n int)");
            st.execute("INSERT INTO by_uuid SELECT md5(g::text)::uuid, g FROM generate_series(1, 2000) g");
            st.execute("CREATE TABLE composite (a int4, b int2, v text, PRIMARY KEY (a, b))");
            st.execute("INSERT INTO composite SELECT g / 10, (g % 10)::int2, 'v' || g FROM generate_series(1, 3000) g");
            st.execute("CREATE TABLE dom (id positive_id PRIMARY KEY, v int)");
            st.execute("INSERT INTO dom SELECT g, g FROM generate_series(1, 1000) g");
            st.execute("CREATE TABLE swapped (id int PRIMARY KEY, code int NOT NULL UNIQUE)");
            st.execute("INSERT INTO swapped SELECT g, g FROM generate_series(1, 500) g");
            st.execute("CREATE TABLE texty (k text PRIMARY KEY, v int)");
            st.execute("INSERT INTO texty SELECT 'k' || g, g FROM generate_series(1, 1000) g");
        }
        String name = "kp" + db.replaceAll("[^a-z0-9]", "");
        String yaml = TestMigrations.yaml(servers, name, db, servers.newFolder("keyparts"))
                .replace("kafka: { bootstrap: \"" + servers.bootstrapServers() + "\" }",
                        "kafka: { bootstrap: \"" + servers.bootstrapServers() + "\", partitionsPerTable: " + PARTITIONS + " }")
                + "apply: { workers: 3, maxBatchRecords: 50 }\n";
        MigrationConfig config = new MigrationConfigLoader(System::getenv).parse(yaml, name);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        AtomicLong statements = new AtomicLong();
        try (Pipeline pipeline = Pipeline.start(config)) {
            pipeline.awaitCaughtUp(Duration.ofMinutes(3));
            Thread writer = new Thread(() -> write(servers, db, stop, statements, writerFailure), "key-partition-writer");
            writer.start();
            Thread.sleep(12_000);
            stop.set(true);
            writer.join();
            assertThat(writerFailure.get()).as("every statement of the source's writer succeeds").isNull();
            assertThat(statements.get()).isGreaterThan(100);
            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                st.execute("BEGIN; TRUNCATE hot; INSERT INTO hot SELECT g, g, 'after truncate' FROM generate_series(1, 300) g; COMMIT");
                st.execute("TRUNCATE by_uuid, composite");
                st.execute("INSERT INTO composite VALUES (1, 1, 'after truncate')");
                st.execute("UPDATE hot SET id = id + 1000000 WHERE id % 3 = 0");
            }
            pipeline.awaitCaughtUp(Duration.ofMinutes(2));
            TestMigrations.assertTargetEqualsSource(servers, db);

            Map<String, List<Integer>> used = partitionsWithRecords(servers, db);
            assertThat(used.get("hot")).as("a hot table with an integer key is applied from several partitions").hasSizeGreaterThan(1);
            assertThat(used.get("by_uuid")).hasSizeGreaterThan(1);
            assertThat(used.get("composite")).hasSizeGreaterThan(1);
            assertThat(used.get("dom")).hasSizeGreaterThan(1);
            assertThat(used.get("swapped")).as("a table with another unique index keeps source order on one partition").containsExactly(0);
            assertThat(used.get("texty")).as("a text key is not hashed").containsExactly(0);
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    /** The SQL condition the applier deletes a TRUNCATE's slice with holds for exactly the keys the capture puts in that partition. */
    @Test
    void theSqlConditionSelectsTheKeysOfItsPartitionOnBothServers() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("keyhash");
        List<List<String>> keys = new ArrayList<>();
        for (long v : new long[] {0, 1, -1, 42, Short.MIN_VALUE, Short.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE}) {
            keys.add(List.of(Long.toString(v), UUID.nameUUIDFromBytes(Long.toString(v).getBytes()).toString()));
        }
        for (int i = 0; i < 300; i++) {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            keys.add(List.of(Long.toString(r.nextLong()), UUID.randomUUID().toString()));
        }
        for (var server : List.of(servers.source(), servers.target())) {
            try (Connection c = server.connect(db); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE k (a bigint, u uuid, PRIMARY KEY (a, u))");
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO k VALUES (?::bigint, ?::uuid)")) {
                    for (List<String> key : keys) {
                        ps.setString(1, key.get(0));
                        ps.setString(2, key.get(1));
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                for (int partitions : new int[] {2, 3, 7, 16}) {
                    for (List<String> columns : List.of(List.of("a"), List.of("u"), List.of("a", "u"))) {
                        for (int p = 0; p < partitions; p++) {
                            List<String> expected = new ArrayList<>();
                            for (List<String> key : keys) {
                                List<String> hashed = columns.size() == 2 ? key : List.of(key.get(columns.get(0).equals("a") ? 0 : 1));
                                if (KeyPartitioner.partition(hashed, partitions) == p) {
                                    expected.add(key.get(0) + "/" + key.get(1));
                                }
                            }
                            List<String> actual = new ArrayList<>();
                            try (ResultSet rs = st.executeQuery("SELECT a::text || '/' || u::text FROM k WHERE "
                                    + KeyPartitioner.sqlCondition(columns, p, partitions))) {
                                while (rs.next()) {
                                    actual.add(rs.getString(1));
                                }
                            }
                            assertThat(actual).as("partition %d of %d by %s on %s", p, partitions, columns, server)
                                    .containsExactlyInAnyOrderElementsOf(expected);
                        }
                    }
                }
            }
        }
    }

    private static void write(TestServers servers, String db, AtomicBoolean stop, AtomicLong statements, AtomicReference<Throwable> failure) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long nextId = 10_000;
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            int round = 0;
            while (!stop.get()) {
                round++;
                st.execute("UPDATE hot SET v = v + 1, note = 'u" + round + "' WHERE id % 50 = " + r.nextInt(50));
                st.execute("INSERT INTO hot VALUES (" + nextId++ + ", " + round + ", 'new')");
                st.execute("DELETE FROM hot WHERE id = " + (1 + r.nextInt(5000)));
                st.execute("UPDATE hot SET id = id + 500000 WHERE id = " + (1 + r.nextInt(5000))); // a key change: two partitions
                st.execute("UPDATE by_uuid SET n = n + 1 WHERE n % 20 = " + r.nextInt(20));
                st.execute("INSERT INTO by_uuid VALUES ('" + UUID.randomUUID() + "', " + round + ")");
                st.execute("UPDATE composite SET v = v || '+' WHERE a = " + r.nextInt(300));
                st.execute("UPDATE dom SET v = v + 1 WHERE id % 10 = " + r.nextInt(10));
                // Two rows swap their unique codes through a temporary value: only source order applies this without a conflict.
                int a = 1 + r.nextInt(500);
                int b = 1 + r.nextInt(500);
                if (a != b) {
                    // a takes -(b's code) and b -(a's code) in one statement, then both turn positive: each row's unique check passes on
                    // the source, and on the target only when the four row changes are applied in source order.
                    st.execute("BEGIN; UPDATE swapped s SET code = -o.code FROM swapped o WHERE (s.id, o.id) IN ((" + a + ", " + b + "), (" + b + ", " + a
                            + ")); UPDATE swapped SET code = -code WHERE id IN (" + a + ", " + b + "); COMMIT");
                }
                st.execute("UPDATE texty SET v = v + 1 WHERE k = 'k" + (1 + r.nextInt(1000)) + "'");
                if (round % 40 == 0) {
                    st.execute("BEGIN; TRUNCATE dom; INSERT INTO dom SELECT g, " + round + " FROM generate_series(1, 1000) g; COMMIT");
                }
                statements.addAndGet(13);
            }
        }
        catch (Throwable e) {
            failure.set(e);
        }
    }

    /** Per table, the partitions of its topic from which the target applied records (the applier's watermarks). */
    private static Map<String, List<Integer>> partitionsWithRecords(TestServers servers, String db) throws Exception {
        Map<String, List<Integer>> used = new HashMap<>();
        try (Connection c = servers.target().connect(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT topic, kafka_partition FROM pgshift.apply_progress WHERE next_offset > 0 ORDER BY 1, 2")) {
            while (rs.next()) {
                String topic = rs.getString(1);
                used.computeIfAbsent(topic.substring(topic.lastIndexOf('.') + 1), t -> new ArrayList<>()).add(rs.getInt(2));
            }
        }
        return used;
    }
}
