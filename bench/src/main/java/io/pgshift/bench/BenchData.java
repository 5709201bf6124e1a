package io.pgshift.bench;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The benchmarks' dataset: pgbench's four tables at a scale (scale 20: 2,000,000 accounts) and a table of mixed types (numeric,
 * double, text with tabs and quotes, timestamptz, date, boolean, uuid, jsonb, bytea).
 */
final class BenchData {

    /** The tables, in creation order. */
    static final List<String> TABLES = List.of("pgbench_branches", "pgbench_tellers", "pgbench_accounts", "pgbench_history", "mixed");

    private BenchData() {
    }

    /** Creates the tables; with {@code keys}, with their primary keys. */
    static void createTables(Connection c, boolean keys) throws SQLException {
        String pk = keys ? " PRIMARY KEY" : "";
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE pgbench_branches (bid int" + pk + ", bbalance int, filler char(88))");
            st.execute("CREATE TABLE pgbench_tellers (tid int" + pk + ", bid int, tbalance int, filler char(84))");
            st.execute("CREATE TABLE pgbench_accounts (aid int" + pk + ", bid int, abalance int, filler char(84))");
            st.execute("CREATE TABLE pgbench_history (hid bigserial" + pk + ", tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))");
            st.execute("CREATE TABLE mixed (id bigint" + pk + ", amount numeric(14,2), ratio double precision, name text, tags text,"
                    + " created timestamptz, born date, active boolean, ref uuid, doc jsonb, blob bytea)");
        }
    }

    /** Creates and fills the tables on the source, then analyzes them. Returns the number of rows. */
    static long fill(Connection c, int scale, int mixedRows) throws SQLException {
        createTables(c, true);
        try (Statement st = c.createStatement()) {
            st.execute("INSERT INTO pgbench_branches SELECT g, 0, '' FROM generate_series(1, " + scale + ") g");
            st.execute("INSERT INTO pgbench_tellers SELECT g, (g - 1) / 10 + 1, 0, '' FROM generate_series(1, " + scale * 10 + ") g");
            st.execute("INSERT INTO pgbench_accounts SELECT g, (g - 1) / 100000 + 1, 0, '' FROM generate_series(1, " + scale * 100_000 + ") g");
            st.execute("INSERT INTO mixed SELECT g, g * 1.25, g / 7.0, 'name ' || g || E' \\t quote '' ü', repeat('t', g % 50),"
                    + " timestamptz '2020-01-01' + g * interval '1 second', date '1990-01-01' + g % 10000, g % 2 = 0,"
                    + " md5(g::text)::uuid, jsonb_build_object('g', g, 'tags', jsonb_build_array('a', g % 7)), decode(md5(g::text), 'hex')"
                    + " FROM generate_series(1, " + mixedRows + ") g");
            st.execute("ANALYZE");
        }
        return (long) scale * (1 + 10 + 100_000) + mixedRows;
    }

    /** The heap size of the public tables, bytes. */
    static long tableBytes(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); java.sql.ResultSet rs = st.executeQuery("SELECT sum(pg_table_size(c.oid)) FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * A migration of database {@code db} between the test servers, its work directory {@code work}; lines of the environment variable
     * {@code BENCH_CONFIG} (YAML, for example {@code load: { readers: 2 }}) are added, to try settings.
     */
    static io.pgshift.app.config.MigrationConfig config(io.pgshift.testkit.TestServers servers, String prefix, String db, java.nio.file.Path work) {
        return config(servers, prefix, db, work, "");
    }

    /** As {@link #config(io.pgshift.testkit.TestServers, String, String, java.nio.file.Path)}, with {@code yaml} lines added before the environment's. */
    static io.pgshift.app.config.MigrationConfig config(io.pgshift.testkit.TestServers servers, String prefix, String db, java.nio.file.Path work,
                                                        String extraYaml) {
        String yaml = String.join("\n",
                "name: " + prefix + "_" + db.replaceAll("[^a-z0-9]", ""),
                "source: { host: 127.0.0.1, port: " + servers.source().port() + ", user: postgres }",
                "target: { host: 127.0.0.1, port: " + servers.target().port() + ", user: postgres }",
                "databases:", "  - { source: " + db + " }",
                "tables: { include: [\"public.*\"] }",
                extraYaml.contains("kafka:") ? "" : "kafka: { bootstrap: \"" + servers.bootstrapServers() + "\" }",
                "workDir: \"" + work + "\"", extraYaml, java.util.Objects.requireNonNullElse(System.getenv("BENCH_CONFIG"), ""), "");
        return new io.pgshift.app.config.MigrationConfigLoader(System::getenv).parse(yaml, prefix);
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** One JSON object of numbers, booleans and strings, in insertion order. */
    static String json(java.util.Map<String, Object> result) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(result).replace(",\"", ", \"").replace("\":", "\": ");
        }
        catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * CPU seconds a PostgreSQL server used so far ({@code /proc}): its postmaster with the backends it reaped, and the live backends.
     * Differences over a phase tell how much of the machine the servers took.
     */
    static double serverCpuSeconds(io.pgshift.testkit.EmbeddedPostgres server) throws SQLException {
        long postmaster;
        try (Connection c = server.connect("postgres"); Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            postmaster = Long.parseLong(procStat(rs.getInt(1))[1]);
        }
        long ticks = 0;
        try (var pids = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) pids::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String[] f = procStat(Long.parseLong(name));
                if (f != null && (Long.parseLong(name) == postmaster || Long.parseLong(f[1]) == postmaster)) {
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
                }
            }
        }
        catch (IOException e) {
            return Double.NaN;
        }
        return ticks / 100.0;
    }

    /** The fields of {@code /proc/PID/stat} after the command name (state first), or null when the process is gone. */
    private static String[] procStat(long pid) {
        try {
            String line = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return line.substring(line.lastIndexOf(')') + 2).split(" ");
        }
        catch (IOException e) {
            return null;
        }
    }

    /** CPU time of this JVM's threads during a phase, by thread name (numbers stripped), for {@code BENCH_THREADS=1}. */
    static final class ThreadCpu {
        private final Map<Long, String> names = new java.util.concurrent.ConcurrentHashMap<>();
        private final Map<Long, Long> first = new java.util.concurrent.ConcurrentHashMap<>();
        private final Map<Long, Long> last = new java.util.concurrent.ConcurrentHashMap<>();
        private volatile boolean running = true;
        private final long[] machineAtStart = machineTicks();
        private final Map<String, Long> internalAtStart = internalThreadTicks();

        static ThreadCpu start() {
            ThreadCpu t = new ThreadCpu();
            Thread s = new Thread(t::sample, "bench-sampler");
            s.setDaemon(true);
            s.start();
            return t;
        }

        private void sample() {
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            while (running) {
                for (java.lang.management.ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
                    if (info == null) {
                        continue;
                    }
                    long cpu = mx.getThreadCpuTime(info.getThreadId());
                    names.put(info.getThreadId(), info.getThreadName().replaceAll("\\d+", "#"));
                    first.putIfAbsent(info.getThreadId(), cpu);
                    last.put(info.getThreadId(), cpu);
                }
                try {
                    Thread.sleep(100);
                }
                catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** CPU jiffies of the JVM's own threads (JIT compilers, GC, VM thread), which the thread bean does not list, by name. */
        private static Map<String, Long> internalThreadTicks() {
            Map<String, Long> ticks = new java.util.TreeMap<>();
            try (var tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path task : (Iterable<Path>) tasks::iterator) {
                    String comm = Files.readString(task.resolve("comm")).trim();
                    if (comm.matches("(C1|C2|GC|G1|VM) .*")) {
                        String line = Files.readString(task.resolve("stat"));
                        String[] f = line.substring(line.lastIndexOf(')') + 2).split(" ");
                        ticks.merge(comm.replaceAll("\\d+", "#"), Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                    }
                }
            }
            catch (IOException | RuntimeException e) {
                // not Linux, or a thread ended while read: the figures are for information only
            }
            return ticks;
        }

        /** Busy and idle jiffies of the whole machine ({@code /proc/stat}). */
        private static long[] machineTicks() {
            try {
                String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
                long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
                long total = 0;
                for (int i = 1; i < f.length; i++) {
                    total += Long.parseLong(f[i]);
                }
                return new long[]{ total - idle, idle };
            }
            catch (IOException | RuntimeException e) {
                return new long[]{ 0, 0 };
            }
        }

        /**
         * Stops sampling; returns CPU milliseconds by thread name (numbers stripped; the JVM's own threads as {@code jvm: <name>}), and
         * with {@code BENCH_THREADS} set prints the 25 largest and how busy the machine was.
         */
        Map<String, Long> stop() {
            running = false;
            Map<String, Long> byName = new java.util.TreeMap<>();
            last.forEach((id, cpu) -> byName.merge(names.get(id), (cpu - first.get(id)) / 1_000_000, Long::sum));
            internalThreadTicks().forEach((name, ticks) -> byName.merge("jvm: " + name, (ticks - internalAtStart.getOrDefault(name, 0L)) * 10, Long::sum));
            if (System.getenv("BENCH_THREADS") == null) {
                return byName;
            }
            byName.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(25)
                    .forEach(e -> System.err.println("cpu ms " + e.getValue() + "\t" + e.getKey()));
            long[] now = machineTicks();
            long busy = now[0] - machineAtStart[0];
            long all = busy + now[1] - machineAtStart[1];
            System.err.println("machine cpu busy " + (all == 0 ? 0 : 100 * busy / all) + "% (every process, every core)");
            return byName;
        }

        /**
         * The stage a thread works for, by its name: {@code capture} (Debezium's decoding thread and its helpers), {@code publish} (the
         * engine's thread that runs pgshift's publisher, and the producer's network thread), {@code broker} (the embedded Kafka broker),
         * {@code apply} (the appliers and their consumers), {@code jit}, {@code gc}, else {@code other}.
         */
        static String stage(String thread) {
            if (thread.startsWith("jvm: C")) {
                return "jit";
            }
            if (thread.startsWith("jvm: ")) {
                return "gc";
            }
            if (thread.startsWith("debezium-") || thread.equals("Thread-#")) {
                return "capture";
            }
            if (thread.startsWith("pool-") || thread.startsWith("kafka-producer-network-thread")) {
                return "publish";
            }
            if (thread.startsWith("pgshift-applier") || thread.startsWith("kafka-coordinator-heartbeat-thread")) {
                return "apply";
            }
            if (thread.startsWith("data-plane-kafka") || thread.startsWith("kafka-") || thread.startsWith("group-coordinator")
                    || thread.startsWith("quorum") || thread.startsWith("broker-") || thread.startsWith("ExpirationReaper")
                    || thread.startsWith("LogDirFailureHandler") || thread.startsWith("raft") || thread.startsWith("share-")) {
                return "broker";
            }
            return "other";
        }
    }
}
