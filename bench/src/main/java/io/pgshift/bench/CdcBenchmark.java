package io.pgshift.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.core.TableSelection;
import io.pgshift.core.validation.TableComparator;
import io.pgshift.sink.ApplierStats;
import io.pgshift.testkit.TestServers;

/**
 * {@code bench/cdc}: change apply, pgshift against a native subscription, on the same servers and the same backlog. pgbench's tables
 * (scale 10 by default) are migrated by pgshift and by a native subscription; both are stopped (pgshift's process pipeline closed, the
 * subscription disabled; both slots keep the WAL); {@code pgbench -c 4 -j 2 -T 60} builds the backlog, then a marker update closes it.
 * Each is started again in turn and timed until the marker is on its target. Then, with pgshift running, a second pgbench run of the
 * same length measures end-to-end latency (source commit to target commit) while it runs. Last, the catch-up again ({@code warm_*}):
 * pgshift restarts in a JVM that has compiled its change path, which separates the JIT's one-time work from the steady rate. Prints one
 * JSON object.
 */
public final class CdcBenchmark {

    private CdcBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int scale = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("cdc");
        try (Connection c = servers.source().connect(db)) {
            BenchData.fill(c, scale, 0);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        String nativeDb = db + "_native";
        try (Connection t = servers.target().connect("postgres"); Statement st = t.createStatement()) {
            st.execute("CREATE DATABASE " + nativeDb);
        }
        try (Connection t = servers.target().connect(nativeDb)) {
            BenchData.createTables(t, true);
        }
        try (Connection s = servers.source().connect(db); Statement st = s.createStatement()) {
            st.execute("CREATE PUBLICATION bench_cdc FOR TABLE " + String.join(", ", BenchData.TABLES));
        }
        try (Connection t = servers.target().connect(nativeDb); Statement st = t.createStatement()) {
            st.execute("CREATE SUBSCRIPTION bench_cdc CONNECTION 'host=127.0.0.1 port=" + servers.source().port() + " dbname=" + db
                    + " user=postgres' PUBLICATION bench_cdc");
            awaitTrue(t, "SELECT count(*) FILTER (WHERE srsubstate = 'r') = " + BenchData.TABLES.size() + " FROM pg_subscription_rel");
            st.execute("ALTER SUBSCRIPTION bench_cdc DISABLE");
            awaitTrue(t, "SELECT count(*) = 0 FROM pg_stat_subscription WHERE subname = 'bench_cdc' AND pid IS NOT NULL");
        }

        MigrationConfig config = config(servers, db, DEFAULT_WORKERS);
        try (Pipeline pipeline = Pipeline.start(config)) {
            pipeline.loaded().get(30, TimeUnit.MINUTES);
            pipeline.awaitCaughtUp(Duration.ofMinutes(10));
        }

        // The backlog, built while both are stopped; pgshift restarts in this JVM, as a new process would: its change path is not compiled yet.
        catchUp(servers, db, nativeDb, config, seconds, "", result, pipeline -> {
            // Live: pgbench runs while the same pipeline streams.
            pipeline.awaitCaughtUp(Duration.ofMinutes(10));
            ApplierStats stats = pipeline.lanes().get(0).stats();
            stats.resetLatencies();
            long live = pgbench(servers, db, seconds);
            pipeline.awaitCaughtUp(Duration.ofMinutes(10));
            result.put("live_pgbench_transactions", live);
            result.put("live_pgbench_tps", Math.round((double) live / seconds));
            result.put("live_changes_measured", stats.latencyCount());
            result.put("live_latency_p50_ms", stats.latencyQuantileMs(0.50));
            result.put("live_latency_p99_ms", stats.latencyQuantileMs(0.99));
            result.put("live_latency_max_ms", stats.latencyQuantileMs(1.0));
        });

        // The same again, with the JIT's work done: what a catch-up costs once the process has run its change path; then with 1 and 4
        // apply workers (BENCH_WORKERS), the same topics (PARTITIONS per table) and the same work directory, so only the appliers differ.
        result.put("partitions_per_table", PARTITIONS);
        catchUp(servers, db, nativeDb, config, seconds, "warm_", result, pipeline -> { });
        for (String w : System.getenv().getOrDefault("BENCH_WORKERS", "1,4").split(",")) {
            int workers = Integer.parseInt(w.trim());
            if (workers != DEFAULT_WORKERS) {
                catchUp(servers, db, nativeDb, config(servers, db, workers), seconds, "warm_workers_" + workers + "_", result, pipeline -> { });
            }
        }

        try (Connection s = servers.source().connect(db); Connection t = servers.target().connect(db)) {
            result.put("target_equals_source", TableComparator.compare(s, t, TableSelection.all()).mismatches().isEmpty());
        }
        result.put("machine_cores", Runtime.getRuntime().availableProcessors());
        System.out.println(BenchData.json(result));
        System.exit(0);
    }

    /**
     * Builds a backlog with pgbench while pgshift and the subscription are stopped, then times the subscription and pgshift (start-up
     * included) catching it up, into {@code <prefix>backlog_*}, {@code <prefix>native_*}, {@code <prefix>pgshift_*} and the ratio.
     */
    private static void catchUp(TestServers servers, String db, String nativeDb, MigrationConfig config, int seconds, String prefix,
                                Map<String, Object> result, PipelineStep then) throws Exception {
        // The subscription first catches up on what it missed meanwhile (the live run), so both start from the same point.
        subscriptionCatchUp(servers, nativeDb, mark(servers, db, prefix + "start"));
        try (Connection s = servers.source().connect(db); Statement st = s.createStatement()) {
            st.execute("CHECKPOINT");
        }
        long transactions = pgbench(servers, db, seconds);
        String marker = mark(servers, db, prefix + "backlog");
        result.put(prefix + "backlog_pgbench_transactions", transactions);
        result.put(prefix + "backlog_row_changes", transactions * 4);

        long changes = transactions * 4;
        double nativeSource = BenchData.serverCpuSeconds(servers.source());
        double nativeTarget = BenchData.serverCpuSeconds(servers.target());
        double nativeSeconds = subscriptionCatchUp(servers, nativeDb, marker);
        result.put(prefix + "native_catch_up_seconds", BenchData.round(nativeSeconds));
        result.put(prefix + "native_row_changes_per_s", Math.round(changes / nativeSeconds));
        result.put(prefix + "native_source_cpu_us_per_change", perChange(BenchData.serverCpuSeconds(servers.source()) - nativeSource, changes));
        result.put(prefix + "native_target_cpu_us_per_change", perChange(BenchData.serverCpuSeconds(servers.target()) - nativeTarget, changes));

        double source0 = BenchData.serverCpuSeconds(servers.source());
        double target0 = BenchData.serverCpuSeconds(servers.target());
        long jvm0 = processCpuNanos();
        long t0 = System.nanoTime();
        BenchData.ThreadCpu sampler = BenchData.ThreadCpu.start();
        try (Pipeline pipeline = Pipeline.start(config); Connection t = servers.target().connect(db)) {
            awaitMarker(t, marker);
            double pgshiftSeconds = (System.nanoTime() - t0) / 1e9;
            long jvm = processCpuNanos() - jvm0;
            Map<String, Long> threads = sampler.stop();
            result.put(prefix + "apply_workers", config.applyWorkers());
            result.put(prefix + "pgshift_catch_up_seconds", BenchData.round(pgshiftSeconds));
            result.put(prefix + "pgshift_row_changes_per_s", Math.round(changes / pgshiftSeconds));
            result.put(prefix + "ratio_pgshift_to_native_catch_up", BenchData.round(nativeSeconds / pgshiftSeconds));
            result.put(prefix + "pgshift_jvm_cpu_us_per_change", perChange(jvm / 1e9, changes));
            Map<String, Object> stages = new LinkedHashMap<>();
            for (String stage : List.of("capture", "publish", "broker", "apply", "jit", "gc", "other")) {
                long ms = threads.entrySet().stream().filter(e -> BenchData.ThreadCpu.stage(e.getKey()).equals(stage)).mapToLong(Map.Entry::getValue).sum();
                stages.put(stage, perChange(ms / 1e3, changes));
            }
            result.put(prefix + "pgshift_stage_cpu_us_per_change", stages);
            result.put(prefix + "pgshift_source_cpu_us_per_change", perChange(BenchData.serverCpuSeconds(servers.source()) - source0, changes));
            result.put(prefix + "pgshift_target_cpu_us_per_change", perChange(BenchData.serverCpuSeconds(servers.target()) - target0, changes));
            then.run(pipeline);
        }
    }

    /** Microseconds of CPU per change, from seconds over a count. */
    private static double perChange(double cpuSeconds, long changes) {
        return BenchData.round(cpuSeconds * 1e6 / changes);
    }

    /** CPU this JVM used so far, every thread (the broker runs in it), in nanoseconds. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Enables the subscription until the marker is on its target, then disables it and waits for its worker to stop; returns the seconds to the marker. */
    private static double subscriptionCatchUp(TestServers servers, String nativeDb, String marker) throws Exception {
        long t0 = System.nanoTime();
        try (Connection t = servers.target().connect(nativeDb); Statement st = t.createStatement()) {
            st.execute("ALTER SUBSCRIPTION bench_cdc ENABLE");
            awaitMarker(t, marker);
            double seconds = (System.nanoTime() - t0) / 1e9;
            st.execute("ALTER SUBSCRIPTION bench_cdc DISABLE");
            awaitTrue(t, "SELECT count(*) = 0 FROM pg_stat_subscription WHERE subname = 'bench_cdc' AND pid IS NOT NULL");
            return seconds;
        }
    }

    /** What runs next on the pipeline that caught up, before it stops. */
    @FunctionalInterface
    private interface PipelineStep {
        void run(Pipeline pipeline) throws Exception;
    }

    /** Apply workers of the main runs: the product's default. */
    private static final int DEFAULT_WORKERS = 2;
    /**
     * Partitions of each table topic ({@code kafka.partitionsPerTable}, from {@code BENCH_PARTITIONS}; 1, the product's default, when
     * unset): with more, pgbench's tables (integer keys, no other unique index) spread over them by key.
     */
    private static final int PARTITIONS = Integer.parseInt(System.getenv().getOrDefault("BENCH_PARTITIONS", "1"));
    private static Path work;

    /** The migration with {@code workers} apply workers; every run shares one work directory and so one migration. */
    private static MigrationConfig config(TestServers servers, String db, int workers) throws java.io.IOException {
        if (work == null) {
            work = servers.newFolder("cdc");
        }
        return BenchData.config(servers, "cdc", db, work, "kafka: { bootstrap: \"" + servers.bootstrapServers() + "\", partitionsPerTable: "
                + PARTITIONS + " }\napply: { workers: " + workers + " }");
    }

    /** Runs {@code pgbench -n -c 4 -j 2 -T seconds} (TPC-B-like) on the source; returns the transactions it processed. */
    private static long pgbench(TestServers servers, String db, int seconds) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("pgbench", "-n", "-c", "4", "-j", "2", "-T", Integer.toString(seconds), "-h", "127.0.0.1", "-p",
                Integer.toString(servers.source().port()), "-U", "postgres", db));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("pgbench failed: " + out);
        }
        Matcher m = Pattern.compile("number of transactions actually processed: (\\d+)").matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("pgbench printed no transaction count: " + out);
        }
        return Long.parseLong(m.group(1));
    }

    /** A last source transaction after the backlog: the target has applied everything once it shows this value. */
    private static String mark(TestServers servers, String db, String what) throws SQLException {
        String marker = what + "-" + System.nanoTime();
        try (Connection s = servers.source().connect(db); Statement st = s.createStatement()) {
            st.execute("UPDATE pgbench_branches SET filler = '" + marker + "' WHERE bid = 1");
        }
        return marker;
    }

    private static void awaitMarker(Connection t, String marker) throws Exception {
        awaitTrue(t, "SELECT count(*) > 0 FROM pgbench_branches WHERE bid = 1 AND filler = '" + marker + "'");
    }

    private static void awaitTrue(Connection c, String sql) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        try (Statement st = c.createStatement()) {
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = st.executeQuery(sql)) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        return;
                    }
                }
                catch (SQLException e) {
                    // the table may not exist yet on the target
                }
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("Timed out waiting for: " + sql);
    }
}
