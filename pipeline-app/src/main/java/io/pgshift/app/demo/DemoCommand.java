package io.pgshift.app.demo;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import com.fasterxml.jackson.databind.JsonNode;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.coordinator.ControlClient;
import io.pgshift.app.coordinator.Coordinator;
import io.pgshift.app.CutoverCommand;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.app.pipeline.PipelineOptions;
import io.pgshift.app.pipeline.ProgressReporter;
import io.pgshift.core.control.ControlCommand;
import io.pgshift.core.SqlResource;
import io.pgshift.core.TableId;
import io.pgshift.core.validation.TableComparator;
import io.pgshift.core.validation.TableComparison;
import io.pgshift.sink.ApplierStats;
import io.pgshift.testkit.EmbeddedPostgres;

/**
 * {@code pgshift demo}: the whole story on this machine with nothing else installed. Starts PostgreSQL 13
 * and 16, creates a sample shop, keeps writing to it, migrates it online through an embedded Kafka
 * broker, then cuts over while the writer still writes (freeze, proven catch-up, sequences, validation) and prints the report
 * and a summary, with the downtime measured from the freeze to COMPLETED.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run a real online migration on this machine: PostgreSQL 13 -> 16 through an embedded Kafka broker, under writes,"
                + " ending with a cutover (source frozen, catch-up proven, sequences synced, every table validated).")
public final class DemoCommand implements Callable<Integer> {

    private static final String DB = "shop";

    @Option(names = "--work-dir", defaultValue = ".pgshift/demo", description = "Where the demo keeps its servers' data (wiped at start). Default: ${DEFAULT-VALUE}")
    Path workDir;

    @Option(names = "--stream-seconds", defaultValue = "15", description = "How long changes stream after the full load before the writer stops. Default: ${DEFAULT-VALUE}")
    int streamSeconds;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Path root = workDir.toAbsolutePath();
        if (Files.exists(root)) {
            for (Path dataDir : EmbeddedPostgres.stopLeftovers(root)) {
                out.println("Stopped the PostgreSQL server an earlier demo left running in " + dataDir);
            }
            EmbeddedPostgres.deleteTree(root);
        }
        Files.createDirectories(root);
        out.println("pgshift demo: starting PostgreSQL 13 (source) and 16 (target) in " + root);
        EmbeddedPostgres[] pg = EmbeddedPostgres.startPair(root);
        try (EmbeddedPostgres source = pg[0]; EmbeddedPostgres target = pg[1]) {
            source.createDatabase(DB);
            long t0 = System.nanoTime();
            try (Connection c = source.connect(DB); Statement st = c.createStatement()) {
                st.execute(SqlResource.load("/io/pgshift/app/demo-schema.sql"));
            }
            out.printf("Created the sample database '%s' on the source in %.1f s%n", DB, (System.nanoTime() - t0) / 1e9);
            return migrate(out, root, source, target);
        }
    }

    private int migrate(PrintStream out, Path root, EmbeddedPostgres source, EmbeddedPostgres target) throws Exception {
        String yaml = String.join("\n",
                "name: demo",
                "source: { host: 127.0.0.1, port: " + source.port() + ", user: postgres }",
                "target: { host: 127.0.0.1, port: " + target.port() + ", user: postgres }",
                "databases:",
                "  - { source: " + DB + ", target: " + DB + " }",
                "tables: { include: [\"public.*\"] }",
                "kafka: { bootstrap: embedded }",
                "capture: { heartbeatIntervalMs: 2000 }",
                "http: { port: 0 }",
                "workDir: " + root.resolve("work"),
                "");
        MigrationConfig config = new MigrationConfigLoader(System::getenv).parse(yaml, "demo configuration");
        DemoWriter writer = new DemoWriter(source.endpoint("source"), DB).start("pgshift-demo-writer");
        out.println("A writer keeps inserting, updating and deleting rows on the source; starting the migration");
        long start = System.nanoTime();
        try (Coordinator coordinator = Coordinator.start(config, PipelineOptions.all());
             ProgressReporter progress = ProgressReporter.start(coordinator::status, Duration.ofSeconds(5))) {
            out.println("Status page: http://127.0.0.1:" + coordinator.httpPort() + "/");
            Pipeline pipeline = coordinator.pipeline();
            pipeline.awaitCaughtUp(Duration.ofMinutes(20));
            double loadSeconds = (System.nanoTime() - start) / 1e9;
            ApplierStats stats = pipeline.lanes().get(0).stats();
            long snapshotRows = stats.tables().values().stream().mapToLong(ApplierStats.TableStats::snapshotRows).sum();
            out.printf("Full load done: %,d rows in %.1f s (%,.0f rows/s, from start-up to the first proven catch-up)%n",
                    snapshotRows, loadSeconds, snapshotRows / loadSeconds);

            out.println("Streaming changes; measuring the time from a source commit until the row is visible on the target");
            List<Long> latencies = probeLatency(source, target, 25, Duration.ofSeconds(Math.max(5, streamSeconds)));
            if (writer.failure() != null) {
                throw new IllegalStateException("The demo writer failed: " + writer.failure().getMessage(), writer.failure());
            }
            out.println("Cutting over while the writer still writes: freeze the source, prove every change applied, sync sequences, validate");
            long writes = writer.transactions();
            JsonNode report = cutover(config);
            writer.stop();
            CutoverCommand.printReport(new PrintWriter(out, true), report);
            TableComparison comparison;
            try (Connection s = source.connect(DB); Connection t = target.connect(DB)) {
                comparison = TableComparator.compare(s, t, config.tables());
            }
            printSummary(out, comparison, stats, writes, writer.refused(), latencies);
            boolean completed = "COMPLETED".equals(report.path("result").asText());
            if (completed) {
                try (Connection t = target.connect(DB); Statement st = t.createStatement();
                     ResultSet rs = st.executeQuery("INSERT INTO orders (customer_id, placed_at) VALUES (1, localtimestamp) RETURNING id")) {
                    rs.next();
                    out.printf("The application now writes to the target: a new order took id %d from the synced sequence.%n", rs.getLong(1));
                }
            }
            return completed && comparison.allMatch() ? 0 : 1;
        }
        finally {
            writer.stop();
        }
    }

    /** Sends the cutover command over the control topic, as 'pgshift cutover --freeze-source --wait' does, and returns its report. */
    private static JsonNode cutover(MigrationConfig config) throws InterruptedException {
        try (ControlClient client = new ControlClient(config)) {
            ControlCommand command = ControlCommand.create(config.name(), ControlCommand.Type.CUTOVER, true, false, 600);
            client.send(command);
            return client.await(r -> "report".equals(ControlClient.text(r, "type")) && command.id().equals(ControlClient.text(r, "commandId")),
                    r -> { }, Duration.ofMinutes(15))
                    .orElseThrow(() -> new IllegalStateException("The cutover did not finish within 15 minutes"));
        }
    }

    /** Commits a change on the source and times how long until the target shows it, several times, while the writer runs. */
    private static List<Long> probeLatency(EmbeddedPostgres source, EmbeddedPostgres target, int probes, Duration over) throws Exception {
        List<Long> latencies = new ArrayList<>();
        long pause = over.toMillis() / probes;
        try (Connection s = source.connect(DB); Connection t = target.connect(DB);
             PreparedStatement write = s.prepareStatement("UPDATE customers SET note = ? WHERE id = 1");
             PreparedStatement read = t.prepareStatement("SELECT note = ? FROM customers WHERE id = 1")) {
            for (int i = 0; i < probes; i++) {
                String marker = "latency probe " + i + " " + System.nanoTime();
                write.setString(1, marker);
                write.executeUpdate();
                long committed = System.nanoTime();
                read.setString(1, marker);
                long deadline = committed + Duration.ofSeconds(60).toNanos();
                while (true) {
                    try (ResultSet rs = read.executeQuery()) {
                        if (rs.next() && rs.getBoolean(1)) {
                            break;
                        }
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("A change committed on the source did not reach the target within 60 s");
                    }
                    Thread.sleep(2);
                }
                latencies.add((System.nanoTime() - committed) / 1_000_000);
                Thread.sleep(pause);
            }
        }
        return latencies;
    }

    private static void printSummary(PrintStream out, TableComparison comparison, ApplierStats stats, long writerTransactions, long refused,
                                     List<Long> latencies) {
        out.println();
        out.println("pgshift demo summary: database '" + DB + "', PostgreSQL 13 -> 16 through Kafka");
        out.printf("%-22s %12s %12s %10s %9s %9s %9s  %s%n", "table", "source rows", "target rows", "snapshot", "inserts", "updates", "deletes", "equal");
        for (TableComparison.Entry e : comparison.entries()) {
            TableId id = e.source().table();
            ApplierStats.TableStats ts = stats.table(id);
            out.printf("%-22s %,12d %,12d %,10d %,9d %,9d %,9d  %s%n", id, e.source().rowCount(), e.target() == null ? 0 : e.target().rowCount(),
                    ts.snapshotRows(), ts.inserts(), ts.updates(), ts.deletes(), e.matches() ? "yes" : "NO");
        }
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        out.printf("Writer: %,d transactions on the source before the cutover; %,d refused by the frozen source afterwards%n",
                writerTransactions, refused);
        out.printf("Source commit -> visible on target: p50 %d ms, p90 %d ms, max %d ms over %d probes%n",
                sorted.get(sorted.size() / 2), sorted.get((int) Math.floor(sorted.size() * 0.9)), sorted.get(sorted.size() - 1), sorted.size());
        if (stats.skippedReplays() > 0) {
            out.printf("Changes written to Kafka twice by a capture restart and skipped: %,d%n", stats.skippedReplays());
        }
        if (comparison.allMatch()) {
            out.printf("RESULT: target == source for all %d tables (%,d rows; row counts and a checksum over every row's text)%n",
                    comparison.entries().size(), comparison.totalSourceRows());
        }
        else {
            out.println("RESULT: target differs from source:");
            comparison.mismatches().forEach(m -> out.println("  " + m));
        }
    }
}
