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
        String db = servers.newDatabasePair("crash");
        try (Connection c = servers.source().connect(db)) {
            Ledger.create(c, 20_000);
        }
        try (Connection t = servers.target().connect(db); Statement st = t.createStatement()) {
            st.execute(Ledger.SCHEMA); // the target has the schema, so pgshift skips its copy and the audit trigger is in place
            st.execute(AUDIT);
        }
        Path work = servers.newFolder("crash");
        Path config = work.resolve("migration.yaml");
        Files.writeString(config, TestMigrations.yaml(servers, "crash_" + db.replaceAll("[^a-z0-9]", ""), db, work));

        Ledger writer = Ledger.start(servers.source().endpoint("source"), db);
        try {
            Process first = startPipeline(config, work.resolve("run1.log"));
            await("snapshot applied and changes streaming").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        assertThat(first.isAlive()).as("pipeline process alive; log in %s", work.resolve("run1.log")).isTrue();
                        return count(servers, db, "SELECT count(*) FROM applied_audit WHERE rev > 0") > 200;
                    });
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no final offset commit
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long writesBeforeRestart = writer.transactions();

            Process second = startPipeline(config, work.resolve("run2.log"));
            try {
                await("writes while the pipeline is down and after it is back").atMost(Duration.ofMinutes(1))
                        .until(() -> writer.transactions() > writesBeforeRestart + 500);
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
        finally {
            writer.stop();
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
        assertThat(count(servers, db, "SELECT count(*) FROM (SELECT id, rev, op FROM applied_audit WHERE op <> 'DELETE'"
                + " GROUP BY id, rev, op HAVING count(*) > 1) twice"))
                .as("changes applied twice (same account id and rev written again)").isZero();
        assertThat(Files.readString(work.resolve("run2.log"))).as("second run resumed instead of starting over")
                .contains("resume from the target's watermark");
    }

    private static long count(TestServers servers, String db, String sql) throws Exception {
        try (Connection t = servers.target().connect(db); Statement st = t.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Process startPipeline(Path config, Path log) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx768m");
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
