package io.pgshift.bench;

import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.postgresql.PGConnection;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.app.pipeline.PipelineOptions;
import io.pgshift.core.TableSelection;
import io.pgshift.core.validation.TableComparator;
import io.pgshift.core.validation.TableComparison;
import io.pgshift.testkit.TestServers;

/**
 * {@code bench/fullload}: the full load's data phase, pgshift against its references, on the same servers in the same run: a pgbench
 * dataset (scale 20: 2,000,000 accounts) and a 500,000-row mixed-type table, from PostgreSQL 13 into tables without indexes on
 * PostgreSQL 16. References: a raw {@code COPY TO STDOUT | COPY FROM STDIN} pipe per table in binary and in text format, and native
 * logical replication's initial sync ({@code CREATE SUBSCRIPTION}, until every table is ready). pgshift: from the start of the
 * pipeline (pre-data only, no post-data) until the load is proven applied. Prints one JSON object with rows/s and the ratios.
 */
public final class FullLoadBenchmark {

    private FullLoadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int scale = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int mixedRows = args.length > 1 ? Integer.parseInt(args[1]) : 500_000;
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("fullload");
        long rows;
        long bytes;
        try (Connection c = servers.source().connect(db)) {
            rows = BenchData.fill(c, scale, mixedRows);
            bytes = BenchData.tableBytes(c);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("rows", rows);
        result.put("source_mb", BenchData.round(bytes / 1e6));

        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("VACUUM ANALYZE"); // not during a timed phase: autovacuum would find the freshly written tables
        }
        boolean onlyPgshift = "pgshift".equals(System.getenv("BENCH_ONLY"));
        Map<String, Object> serverCpu = new LinkedHashMap<>();
        quiesce(servers, null);
        double copyBinary = onlyPgshift ? Double.NaN : phase(servers, serverCpu, "copy_binary", () -> copyPipe(servers, db, "binary"));
        quiesce(servers, db + "_copy_binary");
        double copyText = onlyPgshift ? Double.NaN : phase(servers, serverCpu, "copy_text", () -> copyPipe(servers, db, "text"));
        quiesce(servers, db + "_copy_text");
        double nativeSync = onlyPgshift ? Double.NaN : phase(servers, serverCpu, "native_initial_sync", () -> nativeInitialSync(servers, db));
        quiesce(servers, db + "_native");
        double cpu0 = jvmCpuSeconds();
        double pgshift = phase(servers, serverCpu, "pgshift", () -> pgshiftLoad(servers, db));
        double pgshiftCpu = jvmCpuSeconds() - cpu0;
        double postData = postData(servers, db);

        result.put("copy_binary_seconds", BenchData.round(copyBinary));
        result.put("copy_binary_rows_per_s", Math.round(rows / copyBinary));
        result.put("copy_text_seconds", BenchData.round(copyText));
        result.put("copy_text_rows_per_s", Math.round(rows / copyText));
        result.put("native_initial_sync_seconds", BenchData.round(nativeSync));
        result.put("native_initial_sync_rows_per_s", Math.round(rows / nativeSync));
        result.put("pgshift_seconds", BenchData.round(pgshift));
        result.put("pgshift_rows_per_s", Math.round(rows / pgshift));
        result.put("pgshift_jvm_cpu_seconds", BenchData.round(pgshiftCpu));
        result.put("ratio_pgshift_to_copy_binary", BenchData.round(copyBinary / pgshift));
        result.put("ratio_pgshift_to_native_initial_sync", BenchData.round(nativeSync / pgshift));
        result.put("pgshift_post_data_seconds", BenchData.round(postData));
        result.putAll(serverCpu);
        try (Connection s = servers.source().connect(db); Connection t = servers.target().connect(db)) {
            TableComparison comparison = TableComparator.compare(s, t, TableSelection.all());
            result.put("target_equals_source", comparison.mismatches().isEmpty());
        }
        result.put("jvm_peak_rss_mb", peakRssMb());
        result.put("machine_cores", Runtime.getRuntime().availableProcessors());
        System.out.println(BenchData.json(result));
        System.exit(0);
    }

    /** A timed phase, in seconds; the CPU each PostgreSQL server used meanwhile goes to {@code serverCpu}. */
    private static double phase(TestServers servers, Map<String, Object> serverCpu, String name, java.util.concurrent.Callable<Double> run)
            throws Exception {
        double source = BenchData.serverCpuSeconds(servers.source());
        double target = BenchData.serverCpuSeconds(servers.target());
        double seconds = run.call();
        serverCpu.put(name + "_source_cpu_seconds", BenchData.round(BenchData.serverCpuSeconds(servers.source()) - source));
        serverCpu.put(name + "_target_cpu_seconds", BenchData.round(BenchData.serverCpuSeconds(servers.target()) - target));
        return seconds;
    }

    /**
     * Before each timed phase: the previous contender's target database is dropped (its fresh tables would draw autovacuum into the
     * next phase) and both servers write their dirty buffers out (CHECKPOINT), so every contender starts from quiet servers.
     */
    private static void quiesce(TestServers servers, String previousTarget) throws SQLException {
        if (previousTarget != null) {
            try (Connection t = servers.target().connect("postgres"); Statement st = t.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + previousTarget + " WITH (FORCE)");
            }
        }
        for (var server : List.of(servers.source(), servers.target())) {
            try (Connection c = server.connect("postgres"); Statement st = c.createStatement()) {
                st.execute("CHECKPOINT");
            }
        }
    }

    /** Every table through one COPY pipe after the other (source COPY TO STDOUT → target COPY FROM STDIN), in seconds. */
    private static double copyPipe(TestServers servers, String db, String format) throws Exception {
        String target = createTargetDatabase(servers, db + "_copy_" + format);
        long t0 = System.nanoTime();
        try (Connection s = servers.source().connect(db); Connection t = servers.target().connect(target)) {
            s.setAutoCommit(false);
            s.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            for (String table : BenchData.TABLES) {
                PipedInputStream in = new PipedInputStream(4 * 1024 * 1024);
                PipedOutputStream out = new PipedOutputStream(in);
                String options = "binary".equals(format) ? " (FORMAT binary)" : "";
                CompletableFuture<Long> load = CompletableFuture.supplyAsync(() -> {
                    try {
                        return t.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + table + " FROM STDIN" + options, in);
                    }
                    catch (SQLException | IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                try (out) {
                    s.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY " + table + " TO STDOUT" + options, out);
                }
                load.get(1, TimeUnit.HOURS);
            }
            s.commit();
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** A subscription on the target to a publication of the tables, until every table is synchronised, in seconds. */
    private static double nativeInitialSync(TestServers servers, String db) throws Exception {
        String target = createTargetDatabase(servers, db + "_native");
        try (Connection s = servers.source().connect(db); Statement st = s.createStatement()) {
            st.execute("CREATE PUBLICATION bench_native FOR TABLE " + String.join(", ", BenchData.TABLES));
        }
        long t0 = System.nanoTime();
        try (Connection t = servers.target().connect(target); Statement st = t.createStatement()) {
            st.execute("CREATE SUBSCRIPTION bench_native CONNECTION 'host=127.0.0.1 port=" + servers.source().port() + " dbname=" + db
                    + " user=postgres' PUBLICATION bench_native");
            while (true) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE srsubstate IN ('r', 's')), count(*) FROM pg_subscription_rel")) {
                    rs.next();
                    if (rs.getInt(2) == BenchData.TABLES.size() && rs.getInt(1) == rs.getInt(2)) {
                        break;
                    }
                }
                Thread.sleep(50);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            st.execute("DROP SUBSCRIPTION bench_native");
            return seconds;
        }
    }

    /** pgshift's pipeline from its start (pre-data applied first, not timed) until the load is proven applied, in seconds. */
    private static double pgshiftLoad(TestServers servers, String db) throws Exception {
        Path work = servers.newFolder("fullload");
        MigrationConfig config = BenchData.config(servers, "full", db, work);
        io.pgshift.app.schema.SchemaMigrator.ensureDatabase(config.target(), db);
        new io.pgshift.app.schema.SchemaMigrator(config.source(), db, config.target(), db, config.tables(), work, config.load().indexJobs())
                .apply(io.pgshift.app.schema.SchemaSection.PRE_DATA);
        BenchData.ThreadCpu sampler = BenchData.ThreadCpu.start();
        long t0 = System.nanoTime();
        try (Pipeline pipeline = Pipeline.start(config, new PipelineOptions(false, true, false, true))) {
            pipeline.loaded().get(1, TimeUnit.HOURS);
            double seconds = (System.nanoTime() - t0) / 1e9;
            sampler.stop();
            pipeline.awaitCaughtUp(Duration.ofMinutes(10));
            return seconds;
        }
    }

    /** pgshift's post-data section after its load (the tables' primary keys, {@code load.indexJobs} at once), dump included, in seconds. */
    private static double postData(TestServers servers, String db) throws Exception {
        Path work = servers.newFolder("fullload-post");
        MigrationConfig config = BenchData.config(servers, "full", db, work);
        long t0 = System.nanoTime();
        new io.pgshift.app.schema.SchemaMigrator(config.source(), db, config.target(), db, config.tables(), work, config.load().indexJobs())
                .apply(io.pgshift.app.schema.SchemaSection.POST_DATA);
        return (System.nanoTime() - t0) / 1e9;
    }

    private static String createTargetDatabase(TestServers servers, String name) throws SQLException {
        try (Connection c = servers.target().connect("postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        }
        try (Connection c = servers.target().connect(name)) {
            BenchData.createTables(c, false);
        }
        return name;
    }

    /** CPU time this JVM used so far (broker included), in seconds. */
    private static double jvmCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }

    /** VmHWM of this JVM (PostgreSQL runs in processes of its own; the Kafka broker runs in this JVM). */
    private static long peakRssMb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        return -1;
    }
}
