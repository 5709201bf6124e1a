package io.pgshift.bench;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.core.TableSelection;
import io.pgshift.core.validation.TableComparator;
import io.pgshift.core.validation.TableComparison;
import io.pgshift.testkit.TestServers;

/**
 * {@code bench/apply}: a whole migration on this machine (PostgreSQL 13 source, 16 target, embedded Kafka,
 * all sharing its cores) of a pgbench dataset (scale 20 by default: 2,000,000 accounts) plus a 500,000-row
 * table of mixed types; then a burst of changes. Prints one JSON object: snapshot rows/s and MB/s (target
 * heap size of the loaded tables over the load time) and change apply changes/s (from the commit of the
 * burst to the target having applied all of it). Ends by proving target == source.
 */
public final class ApplyBenchmark {

    private ApplyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int scale = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int mixedRows = args.length > 1 ? Integer.parseInt(args[1]) : 500_000;
        int changes = args.length > 2 ? Integer.parseInt(args[2]) : 200_000;
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("bench");
        try (Connection c = servers.source().connect(db)) {
            BenchData.fill(c, scale, mixedRows);
        }
        MigrationConfig config = BenchData.config(servers, "bench", db, servers.newFolder("bench"));
        Map<String, Object> result = new LinkedHashMap<>();
        long loadStart = System.nanoTime();
        try (Pipeline pipeline = Pipeline.start(config)) {
            pipeline.awaitCaughtUp(Duration.ofHours(1));
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            long rows = (long) scale * (1 + 10 + 100_000) + mixedRows;
            long bytes;
            try (Connection t = servers.target().connect(db)) {
                bytes = BenchData.tableBytes(t);
            }
            result.put("snapshot_rows", rows);
            result.put("snapshot_seconds", round(loadSeconds));
            result.put("snapshot_rows_per_s", Math.round(rows / loadSeconds));
            result.put("snapshot_mb_per_s", round(bytes / 1e6 / loadSeconds));
            result.put("snapshot_target_mb", round(bytes / 1e6));

            // A burst of changes: updates of accounts, inserts into history, updates and deletes of mixed rows.
            long burstStart;
            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                int quarter = changes / 4;
                st.execute("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid <= " + 2 * quarter);
                st.execute("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime, filler) SELECT g % 200 + 1, g % 20 + 1, g, 1, now(), ''"
                        + " FROM generate_series(1, " + quarter + ") g");
                st.execute("UPDATE mixed SET amount = amount + 1, doc = doc || '{\"changed\": true}' WHERE id <= " + quarter / 2);
                st.execute("DELETE FROM mixed WHERE id > " + (mixedRows - quarter / 2));
                burstStart = System.nanoTime();
                c.commit();
            }
            pipeline.awaitCaughtUp(Duration.ofHours(1));
            double applySeconds = (System.nanoTime() - burstStart) / 1e9;
            result.put("changes", changes);
            result.put("change_apply_seconds", round(applySeconds));
            result.put("changes_per_s", Math.round(changes / applySeconds));
        }
        try (Connection s = servers.source().connect(db); Connection t = servers.target().connect(db)) {
            TableComparison comparison = TableComparator.compare(s, t, TableSelection.all());
            result.put("target_equals_source", comparison.mismatches().isEmpty());
            result.put("tables_compared", comparison.entries().size());
        }
        result.put("machine_cores", Runtime.getRuntime().availableProcessors());
        System.out.println(BenchData.json(result));
        System.exit(0);
    }

    private static double round(double v) {
        return BenchData.round(v);
    }
}
