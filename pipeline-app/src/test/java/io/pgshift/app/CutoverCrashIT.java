package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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

import com.fasterxml.jackson.databind.JsonNode;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.coordinator.ControlClient;
import io.pgshift.app.coordinator.SourceFreeze;
import io.pgshift.core.SqlResource;
import io.pgshift.core.control.ControlCommand;
import io.pgshift.testkit.TestServers;

/**
 * A cutover that pgshift does not survive: the JVM halts (as kill -9 would) at each step of it, one run after the other, and each
 * plain restart of {@code migrate} resumes it with the source still frozen, until the last one reports it COMPLETED; and an operator
 * who unfreezes the source after such a crash gets a migration that streams on and cuts over again.
 */
class CutoverCrashIT {

    private static final List<String> HALTS = List.of("after-freeze", "after-catch-up", "after-sequences", "during-validation", "during-finish",
            "after-completion-record");

    @Test
    void killedAtEveryStepOfTheCutoverThenRestartedEachTimeItCompletes() throws Exception {
        TestServers servers = TestServers.get();
        Shop shop = shop(servers, "cutcrash", "validation: { chunkRows: 200 }\n");
        String db = shop.db();
        Path work = shop.work();
        Path file = shop.file();
        MigrationConfig config = shop.config();
        List<String> logs = new ArrayList<>();

        ShopWriter writer = new ShopWriter(servers.source().endpoint("source"), db).start("shop-writer");
        try {
            Process first = start(file, work.resolve("run-" + HALTS.get(0) + ".log"), HALTS.get(0));
            logs.add("run-" + HALTS.get(0) + ".log");
            awaitReady(config, first);
            long before = writer.transactions();
            await("writes while streaming").atMost(Duration.ofMinutes(1)).until(() -> writer.transactions() > before + 200);
            try (ControlClient client = new ControlClient(config)) {
                client.send(ControlCommand.create(config.name(), ControlCommand.Type.CUTOVER, true, false, 120));
            }
            awaitHalted(first, work.resolve(logs.get(0)));
            assertThat(SourceFreeze.frozen(config.source(), List.of(db))).as("frozen after the crash").containsExactly(db);
            writer.stop();
            assertThat(writer.failure()).as("writer failure").isNull();

            for (String halt : HALTS.subList(1, HALTS.size())) {
                String log = "run-" + halt + ".log";
                logs.add(log);
                Process run = start(file, work.resolve(log), halt);
                awaitHalted(run, work.resolve(log));
                assertThat(Files.readString(work.resolve(log))).as(log).contains("resuming it now").contains("point '" + halt + "'");
                assertThat(SourceFreeze.frozen(config.source(), List.of(db))).as("still frozen after halting " + halt).containsExactly(db);
            }

            logs.add("run-last.log");
            Process last = start(file, work.resolve("run-last.log"), null);
            assertThat(last.waitFor(3, TimeUnit.MINUTES)).as("the last run ends by itself").isTrue();
            String out = Files.readString(work.resolve("run-last.log"));
            assertThat(last.exitValue()).as(out).isZero();
            assertThat(out).contains("Cutover COMPLETED", "completed after a restart", "downtime (source frozen -> COMPLETED)");
        }
        finally {
            writer.stop();
            CrashRecoveryIT.keepLogs(work, db, logs);
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
        assertThat(Files.exists(work.resolve("cutover-journal.json"))).as("journal removed once completed").isFalse();
        try (Connection t = servers.target().connect(db); Statement st = t.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pgshift.migrations WHERE migration = '" + config.name() + "'")) {
            rs.next();
            assertThat(rs.getInt(1)).isOne();
        }
        // Every step before finish ran again in each resumed run, and the target took nothing twice: the applications can move over.
        TestMigrations.CliRun again = TestMigrations.cli("migrate", "-c", file.toString(), "--skip-check");
        assertThat(again.exitCode()).isNotZero();
        assertThat(again.err() + again.out()).contains("completed its cutover");
    }

    /** A crash right after the freeze, then 'pgshift unfreeze': the restart sets the cutover aside, streams on, and cuts over again. */
    @Test
    void killedAfterTheFreezeThenUnfrozenByTheOperatorItStreamsOnAndCutsOverAgain() throws Exception {
        TestServers servers = TestServers.get();
        Shop shop = shop(servers, "cutthaw", "");
        String db = shop.db();
        Path work = shop.work();
        Path file = shop.file();
        MigrationConfig config = shop.config();
        List<String> logs = List.of("run1.log", "run2.log");
        ShopWriter writer = new ShopWriter(servers.source().endpoint("source"), db).start("shop-writer");
        Process second = null;
        try {
            Process first = start(file, work.resolve("run1.log"), "after-freeze");
            awaitReady(config, first);
            try (ControlClient client = new ControlClient(config)) {
                client.send(ControlCommand.create(config.name(), ControlCommand.Type.CUTOVER, true, false, 120));
            }
            awaitHalted(first, work.resolve("run1.log"));
            writer.stop();

            TestMigrations.CliRun unfreeze = TestMigrations.cli("unfreeze", "-c", file.toString());
            assertThat(unfreeze.exitCode()).as(unfreeze.err()).isZero();
            assertThat(SourceFreeze.frozen(config.source(), List.of(db))).isEmpty();
            ShopWriter again = new ShopWriter(servers.source().endpoint("source"), db).start("shop-writer-2");
            try {
                second = start(file, work.resolve("run2.log"), null);
                awaitReady(config, second);
                assertThat(Files.readString(work.resolve("run2.log"))).contains("is not resumed because the source is writable again");
                long before = again.transactions();
                await("writes while streaming again").atMost(Duration.ofMinutes(1)).until(() -> again.transactions() > before + 100);
                JsonNode report;
                try (ControlClient client = new ControlClient(config)) {
                    ControlCommand command = ControlCommand.create(config.name(), ControlCommand.Type.CUTOVER, true, false, 120);
                    client.send(command);
                    report = client.await(r -> "report".equals(ControlClient.text(r, "type")) && command.id().equals(ControlClient.text(r, "commandId")),
                            r -> { }, Duration.ofMinutes(4)).orElseThrow(() -> new AssertionError("no report"));
                }
                assertThat(report.path("result").asText()).as(report.toString()).isEqualTo("COMPLETED");
            }
            finally {
                again.stop();
                assertThat(again.failure()).as("second writer failure").isNull();
            }
        }
        finally {
            writer.stop();
            if (second != null) {
                second.destroy();
                second.waitFor(60, TimeUnit.SECONDS);
            }
            CrashRecoveryIT.keepLogs(work, db, logs);
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    /** A database pair holding the shop of cutover/shop.sql on the source, and a migration of it (its YAML in {@code file}). */
    private record Shop(String db, Path work, Path file, MigrationConfig config) {
    }

    private static Shop shop(TestServers servers, String prefix, String moreYaml) throws Exception {
        String db = servers.newDatabasePair(prefix);
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute(SqlResource.load("/io/pgshift/app/cutover/shop.sql"));
        }
        Path folder = servers.newFolder(prefix);
        Path work = folder.resolve("work");
        Path file = TestMigrations.configFile(folder, TestMigrations.yaml(servers, prefix + "_" + db.replaceAll("[^a-z0-9]", ""), db, work)
                + moreYaml);
        return new Shop(db, work, file, MigrationConfigLoader.load(file));
    }

    /** Waits until this process (not an earlier one, whose last status may still look live) says READY_TO_CUTOVER. */
    private static void awaitReady(MigrationConfig config, Process process) {
        java.time.Instant started = process.info().startInstant().orElseThrow();
        try (ControlClient client = new ControlClient(config)) {
            await("ready to cut over").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() -> {
                assertThat(process.isAlive()).as("pipeline alive").isTrue();
                return client.latestStatus().map(s -> client.isLive(s) && "READY_TO_CUTOVER".equals(s.path("phase").asText())
                        && java.time.Instant.parse(s.path("startedAt").asText()).isAfter(started.minusSeconds(1))).orElse(false);
            });
        }
    }

    private static void awaitHalted(Process process, Path log) throws Exception {
        assertThat(process.waitFor(3, TimeUnit.MINUTES)).as("halted; log %s", log).isTrue();
        assertThat(process.exitValue()).as("halted by the crash point; log %s:%n%s", log, Files.readString(log)).isEqualTo(137);
    }

    private static Process start(Path config, Path log, String haltAt) throws Exception {
        Files.createDirectories(log.getParent());
        return haltAt == null ? CrashRecoveryIT.startPipeline(config, log) : CrashRecoveryIT.startPipeline(config, log, "-Dpgshift.test.haltAt=" + haltAt);
    }
}
