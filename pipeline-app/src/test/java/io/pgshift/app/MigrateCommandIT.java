package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.pgshift.testkit.TestServers;

/**
 * {@code pgshift migrate} as an operator runs it: its own embedded Kafka broker with data in the work
 * directory, stopped by a signal (as Ctrl-C does) and started again, resuming where it stopped.
 */
class MigrateCommandIT {

    /** The servers trust loopback connections, so this password is never needed, but it is configured: it must never be printed. */
    private static final String SECRET = "pgshift-Secret-4f9c2a";

    @Test
    void stopsCleanlyOnASignalResumesWithItsEmbeddedBrokerAndCutsOver() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("cli");
        try (Connection c = servers.source().connect(db)) {
            Ledger.create(c, 5_000);
        }
        Path work = servers.newFolder("cli");
        Path config = work.resolve("migration.yaml");
        Files.writeString(config, TestMigrations.yaml(servers, "cli" + db.replaceAll("[^a-z0-9]", ""), db, work.resolve("state"))
                .replace("bootstrap: \"" + servers.bootstrapServers() + "\"", "bootstrap: embedded")
                .replace("user: postgres }", "user: postgres, password: \"" + SECRET + "\" }"));

        Ledger writer = Ledger.start(servers.source().endpoint("source"), db);
        try {
            Process first = CrashRecoveryIT.startPipeline(config, work.resolve("run1.log"));
            CrashRecoveryIT.awaitStreaming(servers, db, first, work.resolve("run1.log"));
            first.destroy(); // SIGTERM: the shutdown hook stops capture, appliers and broker
            assertThat(first.waitFor(90, TimeUnit.SECONDS)).as("stopped within 90 s").isTrue();
            String log1 = Files.readString(work.resolve("run1.log"));
            assertThat(log1).contains("Stopping: the capture and the appliers finish their current batch").contains("Migration '")
                    .contains("Embedded Kafka broker on 127.0.0.1");
            assertThat(Files.exists(work.resolve("state/kafka/log/meta.properties"))).as("broker data kept in the work directory").isTrue();

            Process second = CrashRecoveryIT.startPipeline(config, work.resolve("run2.log"));
            try {
                long resumedAt = writer.transactions();
                await("writes after the restart").atMost(Duration.ofMinutes(1)).until(() -> writer.transactions() > resumedAt + 300);
                // The operator's commands reach the running migration through its embedded broker.
                await("the restarted migration streams").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                    TestMigrations.CliRun status = TestMigrations.cli("status", "-c", config.toString());
                    return status.exitCode() == 0 && status.out().matches("(?s)Migration \\S+: (READY_TO_CUTOVER|INCREMENTAL_SYNC)\n.*");
                });
                TestMigrations.CliRun cutover = TestMigrations.cli("cutover", "-c", config.toString(), "--freeze-source", "--wait", "--timeout", "3m");
                assertThat(cutover.exitCode()).as("cutover; out:\n%s\nerr:\n%s\nlog in %s", cutover.out(), cutover.err(), work.resolve("run2.log")).isZero();
                assertThat(cutover.out()).contains("Cutover COMPLETED", "downtime (source frozen -> completed)");
                writer.stop();
                assertThat(second.isAlive()).as("migrate serves the status page after the cutover").isTrue();
                assertThat(TestMigrations.cli("status", "-c", config.toString()).out()).contains(": COMPLETED");
            }
            finally {
                second.destroy();
                second.waitFor(90, TimeUnit.SECONDS);
            }
            assertThat(Files.readString(work.resolve("run2.log"))).contains("resumes streaming from")
                    .contains("resume from the target's watermark").contains("Cutover completed: point the applications at the target");
            for (String log : List.of("run1.log", "run2.log")) {
                assertThat(Files.readString(work.resolve(log))).as("%s shows the effective configuration, masked", log)
                        .contains("password ******").doesNotContain(SECRET);
            }
        }
        finally {
            writer.stop();
            CrashRecoveryIT.keepLogs(work, db, List.of("run1.log", "run2.log"));
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }
}
