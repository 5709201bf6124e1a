package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.pgshift.testkit.TestServers;

/**
 * The pipeline process is killed (SIGKILL, no clean shutdown) while streaming, then started again: the
 * target ends equal to the source, and no change was applied twice. A trigger on the target that fires
 * even during apply ({@code ENABLE ALWAYS}) records every (id, rev) the applier writes; the writer bumps
 * {@code rev} with every update, so a change applied twice shows up as a repeated (id, rev).
 */
class CrashRecoveryIT {

    private static final String AUDIT = """
            CREATE TABLE applied_audit (id bigint, rev int, op text, at timestamptz DEFAULT clock_timestamp());
            CREATE FUNCTION audit_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN
                INSERT INTO applied_audit (id, rev, op) VALUES (OLD.id, OLD.rev, TG_OP);
              ELSE
                INSERT INTO applied_audit (id, rev, op) VALUES (NEW.id, NEW.rev, TG_OP);
              END IF;
              RETURN NULL;
            END $$;
            CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION audit_accounts();
            ALTER TABLE accounts ENABLE ALWAYS TRIGGER audit;
            """;

    @Test
    void killedWhileStreamingThenRestartedLosesNothingAndAppliesNothingTwice() throws Exception {
        TestServers servers = TestServers.get();
        String db = prepare(servers, "crash", 20_000);
        Path work = servers.newFolder("crash");
        Path config = writeConfig(servers, db, work);

        Ledger writer = Ledger.start(servers.source().endpoint("source"), db);
        try {
            Process first = startPipeline(config, work.resolve("run1.log"));
            awaitStreaming(servers, db, first, work.resolve("run1.log"));
            long streamingSince = writer.transactions();
            await("a few seconds of streaming").atMost(Duration.ofMinutes(1)).until(() -> writer.transactions() > streamingSince + 600);
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no final offset commit
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();

            restartAndAwaitEqual(servers, db, writer, config, work);
            assertThat(Files.readString(work.resolve("run2.log"))).as("second run resumed instead of starting over")
                    .contains("resume from the target's watermark").contains("resumes streaming from")
                    .doesNotContain("starting the initial load again");
        }
        finally {
            writer.stop();
            keepLogs(work, db, List.of("run1.log", "run2.log"));
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
        assertThat(count(servers, db, "SELECT count(*) FROM (SELECT id, rev, op FROM applied_audit WHERE op <> 'DELETE'"
                + " GROUP BY id, rev, op HAVING count(*) > 1) twice"))
                .as("changes applied twice (same account id and rev written again)").isZero();
    }

    /**
     * SIGKILL while the bulk load's readers copy from the exported snapshot (a reader's COPY is running on the source): the snapshot
     * dies with the process, so the second run starts the load again from a new one, and discards what the first run applied.
     */
    @Test
    void killedWhileTheLoadIsReadThenRestartedLoadsAgainFromANewConsistentSnapshot() throws Exception {
        TestServers servers = TestServers.get();
        String db = prepare(servers, "crashload", 150_000);
        Path work = servers.newFolder("crashload");
        Path config = writeConfig(servers, db, work, "load: { readers: 1, chunkMegabytes: 1 }");

        Ledger writer = Ledger.start(servers.source().endpoint("source"), db);
        try {
            runAndKillWhen(config, work, "a load reader copying", Duration.ofMillis(10),
                    () -> sourceCount(servers, db, "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgshift-load-%'"
                            + " AND state = 'active' AND query LIKE 'COPY%'") > 0);
            assertThat(Files.readString(work.resolve("run1.log"))).as("killed before the load was complete in Kafka").doesNotContain("is in Kafka");
            assertThat(count(servers, db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'pgshift' AND tablename = 'apply_progress'") == 0
                    || count(servers, db, "SELECT count(*) FROM pgshift.apply_progress WHERE source_lsn IS NOT NULL") == 0)
                    .as("killed before any change streamed, i.e. during the load").isTrue();

            restartAndAwaitEqual(servers, db, writer, config, work);
            assertThat(Files.readString(work.resolve("run2.log"))).contains("starting the initial load again");
        }
        finally {
            writer.stop();
            keepLogs(work, db, List.of("run1.log", "run2.log"));
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    /**
     * SIGKILL once the whole bulk load is in Kafka but a target lock keeps the applier from applying part of it: the second run
     * resumes (no new snapshot), applies each remaining part once from the target's watermark, and no row is written twice.
     */
    @Test
    void killedWhileTheLoadIsAppliedThenRestartedAppliesEveryPartOnce() throws Exception {
        TestServers servers = TestServers.get();
        String db = prepare(servers, "crashapply", 60_000);
        Path work = servers.newFolder("crashapply");
        Path config = writeConfig(servers, db, work, "load: { chunkMegabytes: 1 }");

        Ledger writer = Ledger.start(servers.source().endpoint("source"), db);
        try (Connection lock = servers.target().connect(db)) {
            lock.setAutoCommit(false);
            try (Statement st = lock.createStatement()) {
                st.execute("LOCK TABLE accounts IN SHARE MODE"); // reads go on (the checks), writes wait
            }
            runAndKillWhen(config, work, "the whole load in Kafka", Duration.ofMillis(100),
                    () -> Files.readString(work.resolve("run1.log")).contains("is in Kafka"));
            lock.rollback();
            assertThat(count(servers, db, "SELECT count(*) FROM accounts")).as("accounts not loaded in the first run").isZero();

            restartAndAwaitEqual(servers, db, writer, config, work);
            assertThat(Files.readString(work.resolve("run2.log"))).as("second run resumed the load instead of starting over")
                    .contains("its bulk load is complete in Kafka").doesNotContain("starting the initial load again");
        }
        finally {
            writer.stop();
            keepLogs(work, db, List.of("run1.log", "run2.log"));
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
        assertThat(count(servers, db, "SELECT count(*) FROM (SELECT id, rev, op FROM applied_audit WHERE op <> 'DELETE'"
                + " GROUP BY id, rev, op HAVING count(*) > 1) twice"))
                .as("rows written twice (same account id and rev)").isZero();
    }

    private static String prepare(TestServers servers, String prefix, int accounts) throws Exception {
        String db = servers.newDatabasePair(prefix);
        try (Connection c = servers.source().connect(db)) {
            Ledger.create(c, accounts);
        }
        try (Connection t = servers.target().connect(db); Statement st = t.createStatement()) {
            st.execute(Ledger.SCHEMA); // the target has the schema, so pgshift skips its copy and the audit trigger is in place
            st.execute(AUDIT);
        }
        return db;
    }

    private static Path writeConfig(TestServers servers, String db, Path work, String... extraYaml) throws Exception {
        Path config = work.resolve("migration.yaml");
        Files.writeString(config, TestMigrations.yaml(servers, "c" + db.replaceAll("[^a-z0-9]", ""), db, work) + String.join("\n", extraYaml) + "\n");
        return config;
    }

    /** Writes go on while the pipeline is down; it is started again, the writer stops, and the target must catch up exactly. */
    private static void restartAndAwaitEqual(TestServers servers, String db, Ledger writer, Path config, Path work) throws Exception {
        long writesWhileDown = writer.transactions();
        await("writes while the pipeline is down").atMost(Duration.ofMinutes(1)).until(() -> writer.transactions() > writesWhileDown + 200);
        Process second = startPipeline(config, work.resolve("run2.log"));
        try {
            long writesAfterRestart = writer.transactions();
            await("writes after the restart").atMost(Duration.ofMinutes(1)).until(() -> writer.transactions() > writesAfterRestart + 300);
            writer.stop();
            assertThat(writer.failure()).as("writer failure").isNull();
            await("target caught up after the restart").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                    .ignoreExceptions()
                    .untilAsserted(() -> {
                        assertThat(second.isAlive()).as("pipeline process alive; log in %s", work.resolve("run2.log")).isTrue();
                        TestMigrations.assertTargetEqualsSource(servers, db);
                    });
        }
        finally {
            second.destroy();
            second.waitFor(60, TimeUnit.SECONDS);
        }
    }

    /** The child processes' logs outlive the test servers' folder, for whoever reads a failure. */
    static void keepLogs(Path work, String db, List<String> logs) throws java.io.IOException {
        Path keep = Files.createDirectories(Path.of("target", "it-logs", db));
        for (String log : logs) {
            if (Files.exists(work.resolve(log))) {
                Files.copy(work.resolve(log), keep.resolve(log), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** Waits until the applier has applied streamed changes (a watermark carries a source LSN only then), while the process lives. */
    static void awaitStreaming(TestServers servers, String db, Process pipeline, Path log) {
        await("changes streaming (a watermark with a source LSN)").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptionsInstanceOf(java.sql.SQLException.class)
                .until(() -> {
                    assertThat(pipeline.isAlive()).as("pipeline process alive; log in %s", log).isTrue();
                    return count(servers, db, "SELECT count(*) FROM pgshift.apply_progress WHERE source_lsn IS NOT NULL") > 0;
                });
    }

    static long count(TestServers servers, String db, String sql) throws Exception {
        try (Connection t = servers.target().connect(db); Statement st = t.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Runs the pipeline (log run1.log) until {@code moment} holds while it lives, then kills it with SIGKILL. */
    private static void runAndKillWhen(Path config, Path work, String alias, Duration poll, java.util.concurrent.Callable<Boolean> moment)
            throws Exception {
        Process first = startPipeline(config, work.resolve("run1.log"));
        await(alias).atMost(Duration.ofMinutes(3)).pollInterval(poll).until(() -> {
            assertThat(first.isAlive()).as("pipeline process alive; log in %s", work.resolve("run1.log")).isTrue();
            return moment.call();
        });
        first.destroyForcibly();
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    static long sourceCount(TestServers servers, String db, String sql) throws Exception {
        try (Connection s = servers.source().connect(db); Statement st = s.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** {@code pgshift migrate} in a JVM of its own (with these JVM options), its output in {@code log}. */
    static Process startPipeline(Path config, Path log, String... jvmOptions) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx768m");
        cmd.addAll(List.of(jvmOptions));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.pgshift.app.Main");
        cmd.add("migrate");
        cmd.add("-c");
        cmd.add(config.toString());
        File out = log.toFile();
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out).start();
    }
}
