package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.testkit.TestServers;

/**
 * Key-partitioned apply (kafka.partitionsPerTable 3 or 4, apply.workers 2 or 3) at its edges: composite keys out of column order
 * mixing int2, uuid and bigint, domains over domains, extreme and negative keys, key swaps through temporary values across
 * partitions, TRUNCATE ... RESTART IDENTITY and TRUNCATE with re-inserts in one transaction, foreign keys in both directions
 * between spread and unspread tables with CASCADE, REPLICA IDENTITY FULL and USING INDEX, partial, exclusion and DEFERRABLE
 * unique constraints (kept on partition 0, values swapped in source order), inheritance, a partitioned table, quoted and
 * non-ASCII key names, and restarts of the pipeline under a concurrent writer whose every statement must succeed. Target ==
 * source after every step.
 */
class KeyPartitionEdgeCasesIT {

    private static MigrationConfig config(TestServers servers, String db, Path work, int partitions, int workers) {
        String name = "kb" + db.replaceAll("[^a-z0-9]", "");
        String yaml = TestMigrations.yaml(servers, name, db, work)
                .replace("kafka: { bootstrap: \"" + servers.bootstrapServers() + "\" }",
                        "kafka: { bootstrap: \"" + servers.bootstrapServers() + "\", partitionsPerTable: " + partitions + " }")
                + "apply: { workers: " + workers + ", maxBatchRecords: 50 }\n";
        return new MigrationConfigLoader(System::getenv).parse(yaml, name);
    }

    private static void src(TestServers servers, String db, String... sql) throws Exception {
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    private static void step(TestServers servers, String db, Pipeline pipeline, String... sql) throws Exception {
        src(servers, db, sql);
        pipeline.awaitCaughtUp(Duration.ofMinutes(2));
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    /** Many table shapes, each with the risky statements, target == source after each step. */
    @Test
    void manyShapes() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("kbshapes");
        src(servers, db,
                "CREATE DOMAIN small_id AS int2 CHECK (VALUE > -32768)",
                "CREATE DOMAIN small_id2 AS small_id",
                "CREATE DOMAIN uid AS uuid",
                // composite key mixing int2, uuid, bigint; the primary key in another order than the columns
                "CREATE TABLE comp3 (b bigint, x text, u uuid, a int2, PRIMARY KEY (a, u, b))",
                "INSERT INTO comp3 SELECT g * 1000003 - 500000000, 'r' || g, md5(g::text)::uuid, (g % 300 - 150)::int2 FROM generate_series(1, 2000) g",
                "CREATE TABLE domkey (a small_id2, u uid, v int, PRIMARY KEY (u, a))",
                "INSERT INTO domkey SELECT (g % 1000)::int2, md5('d' || g)::uuid, g FROM generate_series(1, 1000) g",
                // extremes
                "CREATE TABLE extremes (id bigint PRIMARY KEY, i4 int4 NOT NULL, v text)",
                "INSERT INTO extremes VALUES (-9223372036854775808, -2147483648, 'min'), (9223372036854775807, 2147483647, 'max'),"
                        + " (0, 0, 'zero'), (-1, -1, 'm1'), (1, 1, 'one')",
                "CREATE TABLE ext4 (id int4 PRIMARY KEY, v text)",
                "INSERT INTO ext4 VALUES (-2147483648, 'min'), (2147483647, 'max'), (0, 'z')",
                "CREATE TABLE ext2 (id int2 PRIMARY KEY, v text)",
                "INSERT INTO ext2 VALUES (-32768, 'min'), (32767, 'max'), (0, 'z')",
                // key changes
                "CREATE TABLE moves (id bigint PRIMARY KEY, v int NOT NULL, big text)",
                "INSERT INTO moves SELECT g, g, CASE WHEN g % 10 = 0 THEN (SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 200)) END"
                        + " FROM generate_series(1, 1000) g",
                // serial key, RESTART IDENTITY
                "CREATE TABLE ser (id bigserial PRIMARY KEY, v text)",
                "INSERT INTO ser (v) SELECT 'r' || g FROM generate_series(1, 500) g",
                // FK: partitioned parent, non-partitioned (text key) child, and the other way round
                "CREATE TABLE kparent (id bigint PRIMARY KEY, v text)",
                "CREATE TABLE tchild (k text PRIMARY KEY, parent_id bigint REFERENCES kparent ON DELETE CASCADE, v text)",
                "INSERT INTO kparent SELECT g, 'p' || g FROM generate_series(1, 300) g",
                "INSERT INTO tchild SELECT 'c' || g, 1 + g % 300, 'c' FROM generate_series(1, 900) g",
                "CREATE TABLE tparent (k text PRIMARY KEY, v text)",
                "CREATE TABLE kchild (id bigint PRIMARY KEY, parent_k text REFERENCES tparent ON DELETE CASCADE, v text)",
                "INSERT INTO tparent SELECT 'p' || g, 'p' FROM generate_series(1, 300) g",
                "INSERT INTO kchild SELECT g, 'p' || (1 + g % 300), 'c' FROM generate_series(1, 900) g",
                // self-referencing tree
                "CREATE TABLE tree (id bigint PRIMARY KEY, parent bigint REFERENCES tree ON DELETE CASCADE, v int)",
                "INSERT INTO tree SELECT g, CASE WHEN g > 1 THEN g / 2 END, g FROM generate_series(1, 1000) g",
                // truncate + re-insert
                "CREATE TABLE retrunc (id int PRIMARY KEY, v text)",
                "INSERT INTO retrunc SELECT g, 'orig' FROM generate_series(1, 1000) g",
                // PK and REPLICA IDENTITY FULL
                "CREATE TABLE rifull (id bigint PRIMARY KEY, v text, n numeric)",
                "ALTER TABLE rifull REPLICA IDENTITY FULL",
                "INSERT INTO rifull SELECT g, 'v' || g, g / 3.0 FROM generate_series(1, 1000) g",
                // REPLICA IDENTITY USING INDEX, no PK
                "CREATE TABLE riidx (k int NOT NULL, v text, w int)",
                "CREATE UNIQUE INDEX riidx_k ON riidx (k)",
                "ALTER TABLE riidx REPLICA IDENTITY USING INDEX riidx_k",
                "INSERT INTO riidx SELECT g, 'v' || g, g FROM generate_series(1, 1000) g",
                // PK plus a unique index: partition 0, swaps in source order
                "CREATE TABLE uniq (id bigint PRIMARY KEY, code int NOT NULL UNIQUE)",
                "INSERT INTO uniq SELECT g, g FROM generate_series(1, 300) g",
                "CREATE TABLE puniq (id bigint PRIMARY KEY, code int)",
                "CREATE UNIQUE INDEX puniq_code ON puniq (code) WHERE code > 0",
                "INSERT INTO puniq SELECT g, g FROM generate_series(1, 300) g",
                "CREATE TABLE excl (id bigint PRIMARY KEY, r int4range NOT NULL, EXCLUDE USING gist (r WITH &&))",
                "INSERT INTO excl SELECT g, int4range(g * 10, g * 10 + 5) FROM generate_series(1, 300) g",
                "CREATE TABLE defuniq (id bigint PRIMARY KEY, code int NOT NULL, CONSTRAINT du UNIQUE (code) DEFERRABLE INITIALLY DEFERRED)",
                "INSERT INTO defuniq SELECT g, g FROM generate_series(1, 300) g",
                // inheritance
                "CREATE TABLE inh (id bigint PRIMARY KEY, v text)",
                "CREATE TABLE inh_a (extra int) INHERITS (inh)",
                "ALTER TABLE inh_a ADD PRIMARY KEY (id)",
                "CREATE TABLE inh_b () INHERITS (inh)",
                "ALTER TABLE inh_b ADD PRIMARY KEY (id)",
                "INSERT INTO inh SELECT g, 'p' FROM generate_series(1, 300) g",
                "INSERT INTO inh_a SELECT g, 'a', g FROM generate_series(1001, 1300) g",
                "INSERT INTO inh_b SELECT g, 'b' FROM generate_series(2001, 2300) g",
                // partitioned table
                "CREATE TABLE meas (id bigint, bucket int, v text, PRIMARY KEY (id, bucket)) PARTITION BY RANGE (bucket)",
                "CREATE TABLE meas_1 PARTITION OF meas FOR VALUES FROM (0) TO (100)",
                "CREATE TABLE meas_2 PARTITION OF meas FOR VALUES FROM (100) TO (200)",
                "INSERT INTO meas SELECT g, g % 200, 'm' FROM generate_series(1, 1000) g");
        MigrationConfig config = config(servers, db, servers.newFolder("kbshapes"), 3, 2);
        try (Pipeline pipeline = Pipeline.start(config)) {
            pipeline.awaitCaughtUp(Duration.ofMinutes(3));
            TestMigrations.assertTargetEqualsSource(servers, db);

            // 1 composite / domain / extreme keys: updates, deletes, key changes
            step(servers, db, pipeline,
                    "UPDATE comp3 SET x = x || '!' WHERE a < 0",
                    "UPDATE comp3 SET b = -b, a = (-a)::int2 WHERE a > 0 AND a < 100",
                    "DELETE FROM comp3 WHERE a = -150",
                    "INSERT INTO comp3 VALUES (9223372036854775807, 'max', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 32767),"
                            + " (-9223372036854775808, 'min', '00000000-0000-0000-0000-000000000000', -32768)",
                    "UPDATE domkey SET a = (a + 1000)::int2, v = v + 1 WHERE v % 3 = 0",
                    "UPDATE domkey SET u = md5('e' || v)::uuid WHERE v % 5 = 0",
                    "UPDATE extremes SET id = -id - 10, v = v || ' moved' WHERE id IN (0, 1)",
                    "UPDATE extremes SET id = -9223372036854775807 WHERE id = 9223372036854775807",
                    "UPDATE ext4 SET id = -2147483647 WHERE id = 2147483647",
                    "UPDATE ext2 SET id = -32767 WHERE id = 32767");
            // 2 key moves and swaps inside one transaction
            step(servers, db, pipeline,
                    "BEGIN; UPDATE moves SET id = -1 WHERE id = 1; UPDATE moves SET id = 1 WHERE id = 2; UPDATE moves SET id = 2 WHERE id = -1; COMMIT",
                    "BEGIN; UPDATE moves SET id = -10 WHERE id = 10; UPDATE moves SET id = 10 WHERE id = 20; UPDATE moves SET id = 20 WHERE id = -10; COMMIT",
                    "BEGIN; UPDATE moves SET id = -id WHERE id BETWEEN 100 AND 200; UPDATE moves SET id = -id + 100000 WHERE id < 0; COMMIT",
                    "BEGIN; UPDATE moves SET id = id + 5000, v = v + 1 WHERE id % 7 = 0; DELETE FROM moves WHERE id = 5007;"
                            + " INSERT INTO moves VALUES (7, 7, 'back'); UPDATE moves SET id = 5007 WHERE id = 7; COMMIT",
                    "BEGIN; UPDATE moves SET big = big || 'x' WHERE id = 30; UPDATE moves SET id = 777777 WHERE id = 30; UPDATE moves SET id = 30 WHERE id = 40;"
                            + " UPDATE moves SET id = 40 WHERE id = 777777; COMMIT");
            // 3 RESTART IDENTITY, truncate + reinserts
            step(servers, db, pipeline,
                    "TRUNCATE ser RESTART IDENTITY",
                    "INSERT INTO ser (v) SELECT 'again ' || g FROM generate_series(1, 300) g",
                    "BEGIN; TRUNCATE ser RESTART IDENTITY; INSERT INTO ser (v) SELECT 'third ' || g FROM generate_series(1, 200) g; UPDATE ser SET v = v || '+' WHERE id % 2 = 0; COMMIT",
                    "BEGIN; INSERT INTO retrunc VALUES (5000, 'pre'); UPDATE retrunc SET v = 'pre' WHERE id < 50; TRUNCATE retrunc;"
                            + " INSERT INTO retrunc SELECT g, 'post' FROM generate_series(1, 600) g; UPDATE retrunc SET v = 'post2' WHERE id % 3 = 0;"
                            + " DELETE FROM retrunc WHERE id % 5 = 0; TRUNCATE retrunc; INSERT INTO retrunc SELECT g, 'final' FROM generate_series(300, 700) g; COMMIT",
                    "BEGIN; TRUNCATE retrunc; INSERT INTO retrunc VALUES (1, 'a'); COMMIT",
                    "INSERT INTO retrunc SELECT g, 'z' FROM generate_series(2, 400) g");
            // 4 foreign keys and truncate cascade
            step(servers, db, pipeline,
                    "DELETE FROM kparent WHERE id % 10 = 0",
                    "DELETE FROM tparent WHERE k LIKE 'p1%'",
                    "DELETE FROM tree WHERE id = 3");
            step(servers, db, pipeline,
                    "TRUNCATE kparent CASCADE",
                    "INSERT INTO kparent SELECT g, 'again' FROM generate_series(1, 100) g",
                    "INSERT INTO tchild SELECT 'again' || g, 1 + g % 100, 'again' FROM generate_series(1, 200) g",
                    "BEGIN; TRUNCATE tparent CASCADE; INSERT INTO tparent SELECT 'p' || g, 'again' FROM generate_series(1, 50) g;"
                            + " INSERT INTO kchild SELECT g, 'p' || (1 + g % 50), 'again' FROM generate_series(1, 400) g; COMMIT",
                    "BEGIN; TRUNCATE tree; INSERT INTO tree SELECT g, CASE WHEN g > 1 THEN g / 2 END, -g FROM generate_series(1, 500) g; COMMIT",
                    "BEGIN; TRUNCATE kchild, tparent; INSERT INTO tparent VALUES ('x', 'x'); INSERT INTO kchild VALUES (1, 'x', 'x'); COMMIT");
            // 5 replica identities
            step(servers, db, pipeline,
                    "UPDATE rifull SET v = v || '!' WHERE id % 3 = 0",
                    "UPDATE rifull SET id = id + 100000 WHERE id % 7 = 0",
                    "DELETE FROM rifull WHERE id % 11 = 0",
                    "BEGIN; UPDATE rifull SET id = -1 WHERE id = 1; UPDATE rifull SET id = 1 WHERE id = 2; UPDATE rifull SET id = 2 WHERE id = -1; COMMIT",
                    "UPDATE riidx SET v = v || '!' WHERE k % 3 = 0",
                    "UPDATE riidx SET k = k + 100000 WHERE k % 7 = 0",
                    "DELETE FROM riidx WHERE k % 11 = 0",
                    "BEGIN; UPDATE riidx SET k = -1 WHERE k = 1; UPDATE riidx SET k = 1 WHERE k = 2; UPDATE riidx SET k = 2 WHERE k = -1; COMMIT",
                    "BEGIN; TRUNCATE riidx; INSERT INTO riidx SELECT g, 'post', g FROM generate_series(1, 500) g; COMMIT",
                    "BEGIN; TRUNCATE rifull; INSERT INTO rifull SELECT g, 'post', g FROM generate_series(1, 500) g; DELETE FROM rifull WHERE id = 3; COMMIT");
            // 6 other unique indexes / exclusion constraints: swaps in source order
            for (int i = 0; i < 20; i++) {
                int a = 1 + 2 * i;
                int b = 2 + 2 * i;
                src(servers, db,
                        "BEGIN; UPDATE uniq SET code = -1 WHERE id = " + a + "; UPDATE uniq SET code = " + a + " WHERE id = " + b
                                + "; UPDATE uniq SET code = " + b + " WHERE id = " + a + "; COMMIT",
                        "BEGIN; UPDATE puniq SET code = 0 WHERE id = " + a + "; UPDATE puniq SET code = " + a + " WHERE id = " + b
                                + "; UPDATE puniq SET code = " + b + " WHERE id = " + a + "; COMMIT",
                        "BEGIN; UPDATE excl SET r = 'empty' WHERE id = " + a + "; UPDATE excl SET r = int4range(" + a + " * 10, " + a + " * 10 + 5) WHERE id = " + b
                                + "; UPDATE excl SET r = int4range(" + b + " * 10, " + b + " * 10 + 5) WHERE id = " + a + "; COMMIT",
                        "BEGIN; UPDATE defuniq SET code = " + b + " WHERE id = " + a + "; UPDATE defuniq SET code = " + a + " WHERE id = " + b + "; COMMIT");
            }
            step(servers, db, pipeline, "UPDATE uniq SET code = code + 1000");
            // 7 inheritance and partitioned tables
            step(servers, db, pipeline,
                    "UPDATE inh SET v = v || '!' WHERE id % 3 = 0",
                    "UPDATE inh SET id = id + 100000 WHERE id % 7 = 0",
                    "DELETE FROM inh WHERE id % 11 = 0",
                    "BEGIN; TRUNCATE inh; INSERT INTO inh VALUES (1, 'p'); INSERT INTO inh_a VALUES (2, 'a', 2); INSERT INTO inh_b VALUES (3, 'b'); COMMIT",
                    "INSERT INTO inh_a SELECT g, 'a', g FROM generate_series(10, 300) g",
                    "BEGIN; TRUNCATE ONLY inh; INSERT INTO inh VALUES (1, 'p2'); COMMIT",
                    "UPDATE meas SET bucket = 199 - bucket WHERE id % 5 = 0",
                    "UPDATE meas SET id = id + 100000 WHERE id % 7 = 0",
                    "BEGIN; TRUNCATE meas; INSERT INTO meas SELECT g, g % 200, 'again' FROM generate_series(1, 300) g; COMMIT");
            // "TRUNCATE meas_1" (one leaf of a partitioned table) is left out: PostgreSQL does not publish it via the root, a documented
            // limit (docs/architecture.md, Known limits), which fails with partitionsPerTable 1 as well.
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    /** A writer that runs the whole time (every statement must succeed), with the pipeline restarted twice in the middle. */
    @Test
    void restartUnderConcurrentWriter() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("kbrestart");
        src(servers, db,
                "CREATE TABLE hot (id bigint PRIMARY KEY, v int NOT NULL, note text)",
                "INSERT INTO hot SELECT g, g % 97, 'row ' || g FROM generate_series(1, 3000) g",
                "CREATE TABLE pair (a int4, u uuid, n int, PRIMARY KEY (u, a))",
                "INSERT INTO pair SELECT g, md5(g::text)::uuid, g FROM generate_series(1, 1000) g",
                "CREATE TABLE par (id bigint PRIMARY KEY)",
                "CREATE TABLE kid (id bigint PRIMARY KEY, par_id bigint REFERENCES par ON DELETE CASCADE, v int)",
                "INSERT INTO par SELECT g FROM generate_series(1, 100) g",
                "INSERT INTO kid SELECT g, 1 + g % 100, g FROM generate_series(1, 1000) g",
                "CREATE TABLE u2 (id bigint PRIMARY KEY, code int NOT NULL UNIQUE)",
                "INSERT INTO u2 SELECT g, g FROM generate_series(1, 200) g");
        Path work = servers.newFolder("kbrestart");
        MigrationConfig config = config(servers, db, work, 4, 3);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong statements = new AtomicLong();
        Thread writer = new Thread(() -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            long next = 100_000;
            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                int round = 0;
                while (!stop.get()) {
                    round++;
                    st.execute("UPDATE hot SET v = v + 1 WHERE id % 40 = " + r.nextInt(40));
                    st.execute("INSERT INTO hot VALUES (" + next++ + ", 1, 'n')");
                    st.execute("DELETE FROM hot WHERE id = " + (1 + r.nextInt(3000)));
                    long x = 1 + r.nextInt(3000);
                    long y = 1 + r.nextInt(3000);
                    if (x != y) {
                        st.execute("BEGIN; UPDATE hot SET id = -1 WHERE id = " + x + "; UPDATE hot SET id = " + x + " WHERE id = " + y
                                + "; UPDATE hot SET id = " + y + " WHERE id = -1; COMMIT");
                    }
                    st.execute("UPDATE pair SET a = a + 10000, n = n + 1 WHERE n % 50 = " + r.nextInt(50));
                    st.execute("INSERT INTO pair VALUES (" + round + ", '" + UUID.randomUUID() + "', 0)");
                    st.execute("UPDATE kid SET v = v + 1 WHERE id % 30 = " + r.nextInt(30));
                    int a = 1 + r.nextInt(200);
                    int b = 1 + r.nextInt(200);
                    if (a != b) {
                        st.execute("BEGIN; UPDATE u2 s SET code = -o.code FROM u2 o WHERE (s.id, o.id) IN ((" + a + ", " + b + "), (" + b + ", " + a
                                + ")); UPDATE u2 SET code = -code WHERE id IN (" + a + ", " + b + "); COMMIT");
                    }
                    if (round % 25 == 0) {
                        st.execute("BEGIN; TRUNCATE par CASCADE; INSERT INTO par SELECT g FROM generate_series(1, 100) g;"
                                + " INSERT INTO kid SELECT g, 1 + g % 100, " + round + " FROM generate_series(1, 1000) g; COMMIT");
                    }
                    if (round % 33 == 0) {
                        st.execute("BEGIN; TRUNCATE hot; INSERT INTO hot SELECT g, " + round + ", 'tr' FROM generate_series(1, 3000) g; COMMIT");
                    }
                    if (round % 40 == 0) {
                        st.execute("DELETE FROM par WHERE id = " + (1 + r.nextInt(100)));
                    }
                    statements.addAndGet(10);
                }
            }
            catch (Throwable e) {
                failure.set(e);
            }
        }, "kb-writer");
        Pipeline pipeline = Pipeline.start(config);
        try {
            pipeline.awaitCaughtUp(Duration.ofMinutes(3));
            writer.start();
            Thread.sleep(6_000);
            pipeline.close();
            Thread.sleep(2_000);
            pipeline = Pipeline.start(config);
            Thread.sleep(6_000);
            pipeline.close();
            pipeline = Pipeline.start(config);
            Thread.sleep(6_000);
            stop.set(true);
            writer.join();
            assertThat(failure.get()).as("every writer statement succeeds").isNull();
            assertThat(statements.get()).isGreaterThan(100);
            pipeline.awaitCaughtUp(Duration.ofMinutes(3));
            TestMigrations.assertTargetEqualsSource(servers, db);
        }
        finally {
            stop.set(true);
            writer.join();
            pipeline.close();
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    /** Key columns with odd names (mixed case, spaces, quotes, non-ASCII), a TRUNCATE slice must quote them. */
    @Test
    void oddKeyColumnNames() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("kbnames");
        src(servers, db,
                "CREATE TABLE \"Odd\" (\"Key Col\" bigint, \"q\"\"x\" uuid, \"Größe\" int2, v text, PRIMARY KEY (\"Größe\", \"Key Col\", \"q\"\"x\"))",
                "INSERT INTO \"Odd\" SELECT g, md5(g::text)::uuid, (g % 100)::int2, 'v' FROM generate_series(1, 1000) g",
                "CREATE TABLE \"ключи\" (\"ид\" int PRIMARY KEY, v text)",
                "INSERT INTO \"ключи\" SELECT g, 'v' FROM generate_series(1, 1000) g");
        MigrationConfig config = config(servers, db, servers.newFolder("kbnames"), 4, 3);
        try (Pipeline pipeline = Pipeline.start(config)) {
            pipeline.awaitCaughtUp(Duration.ofMinutes(3));
            TestMigrations.assertTargetEqualsSource(servers, db);
            step(servers, db, pipeline,
                    "UPDATE \"Odd\" SET \"Key Col\" = -\"Key Col\" WHERE \"Key Col\" % 3 = 0",
                    "UPDATE \"ключи\" SET \"ид\" = -\"ид\" WHERE \"ид\" % 3 = 0",
                    "BEGIN; TRUNCATE \"Odd\"; INSERT INTO \"Odd\" SELECT g, md5(g::text)::uuid, (g % 100)::int2, 'again' FROM generate_series(1, 500) g; COMMIT",
                    "BEGIN; TRUNCATE \"ключи\"; INSERT INTO \"ключи\" SELECT g, 'again' FROM generate_series(1, 500) g; COMMIT");
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }
}
