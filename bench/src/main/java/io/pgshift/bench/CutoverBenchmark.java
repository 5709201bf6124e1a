package io.pgshift.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.coordinator.ControlClient;
import io.pgshift.app.coordinator.Coordinator;
import io.pgshift.app.coordinator.MigrationStatus;
import io.pgshift.app.coordinator.Phase;
import io.pgshift.app.demo.DemoWriter;
import io.pgshift.app.pipeline.PipelineOptions;
import io.pgshift.core.SqlResource;
import io.pgshift.core.control.ControlCommand;
import io.pgshift.core.validation.TableComparator;
import io.pgshift.testkit.TestServers;

/**
 * {@code bench/cutover [scale ...]}: the downtime of a cutover as the data grows. For each scale, the demo's shop with every row count
 * multiplied by it (scale 1 is the demo's 555,000 rows) is migrated while the demo's writer keeps writing; once every table was
 * validated online, the writer goes on for {@code BENCH_WRITE_SECONDS} (20) more, then a cutover with a frozen source runs. Prints
 * one JSON object per scale: source size, load time, the online validation (chunks, rows, time), the cutover's steps, its validation
 * (chunks and changed rows compared while frozen) and the downtime; and whether target == source afterwards (every row compared).
 * {@code BENCH_CONFIG} adds YAML to the migration (for example {@code cutover: { validation: full }}).
 */
public final class CutoverBenchmark {

    private static final Pattern SERIES = Pattern.compile("generate_series\\(1, (\\d+)\\)");

    private CutoverBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> scales = new ArrayList<>();
        for (String a : args) {
            scales.add(Integer.parseInt(a));
        }
        if (scales.isEmpty()) {
            scales = List.of(10, 100);
        }
        int writeSeconds = Integer.parseInt(System.getenv().getOrDefault("BENCH_WRITE_SECONDS", "20"));
        TestServers servers = TestServers.get();
        for (int scale : scales) {
            System.out.println(BenchData.json(run(servers, scale, writeSeconds)));
            System.out.flush();
        }
        System.exit(0);
    }

    private static Map<String, Object> run(TestServers servers, int scale, int writeSeconds) throws Exception {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("scale", scale);
        String db = servers.newDatabasePair("cutover" + scale);
        long t0 = System.nanoTime();
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute(scaled(SqlResource.load("/io/pgshift/app/demo-schema.sql"), scale));
            try (ResultSet rs = st.executeQuery("SELECT pg_database_size(current_database()), (SELECT sum(n_live_tup) FROM pg_stat_user_tables)")) {
                rs.next();
                result.put("source_mb", Math.round(rs.getLong(1) / 1048576.0));
                result.put("rows", rs.getLong(2));
            }
        }
        result.put("generate_s", BenchData.round((System.nanoTime() - t0) / 1e9));
        Path work = servers.newFolder("cutover" + scale);
        MigrationConfig config = BenchData.config(servers, "cut" + scale, db, work);
        DemoWriter writer = new DemoWriter(servers.source().endpoint("source"), db).start("bench-writer");
        try (Coordinator coordinator = Coordinator.start(config, PipelineOptions.all())) {
            long start = System.nanoTime();
            coordinator.pipeline().loaded().get();
            result.put("load_s", BenchData.round((System.nanoTime() - start) / 1e9));
            long loaded = System.nanoTime();
            while (!validatedOnline(coordinator.status())) {
                if (coordinator.pipeline().failure().isPresent()) {
                    throw new IllegalStateException("the migration stopped", coordinator.pipeline().failure().get());
                }
                Thread.sleep(500);
            }
            result.put("online_validation_wall_s", BenchData.round((System.nanoTime() - loaded) / 1e9));
            long before = writer.transactions();
            Thread.sleep(writeSeconds * 1000L);
            result.put("writer_tps_before_cutover", Math.round((writer.transactions() - before) / (double) writeSeconds));
            JsonNode report = cutover(config);
            writer.stop();
            result.put("result", report.path("result").asText());
            result.put("downtime_ms", report.path("downtimeMs").asLong());
            Map<String, Object> steps = new LinkedHashMap<>();
            report.path("steps").forEach(s -> steps.put(s.path("name").asText(), s.path("durationMs").asLong()));
            result.put("steps_ms", steps);
            JsonNode v = report.path("validation");
            result.put("validation_mode", v.path("mode").asText());
            result.put("online_chunks", v.path("onlineChunks").asLong());
            result.put("online_rows", v.path("onlineRows").asLong());
            result.put("online_ms", v.path("onlineMs").asLong());
            result.put("cutover_chunks", v.path("cutoverChunks").asLong());
            result.put("cutover_changed_rows", v.path("cutoverChangedRows").asLong());
            result.put("cutover_validation_ms", v.path("cutoverMs").asLong());
            result.put("writes_refused_by_the_freeze", writer.refused());
            if (writer.failure() != null) {
                result.put("writer_failure", writer.failure().toString());
            }
        }
        finally {
            writer.stop();
        }
        try (Connection s = servers.source().connect(db); Connection t = servers.target().connect(db)) {
            result.put("target_equals_source", TableComparator.compare(s, t, config.tables()).allMatch());
        }
        result.put("machine_cores", Runtime.getRuntime().availableProcessors());
        return result;
    }

    /**
     * The demo's schema with every generate_series(1, n) of its data multiplied by the scale; above scale 1 the orders' totals are
     * left at 0 (summing the items into every order took half of the data's generation at scale 100, and the cutover does not care).
     */
    static String scaled(String sql, int scale) {
        if (scale > 1) {
            sql = sql.replaceAll("(?m)^UPDATE orders o SET total = .*$", "");
        }
        Matcher m = SERIES.matcher(sql);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            long n = Long.parseLong(m.group(1));
            // order_items pairs every order with generate_series(1, 2): line numbers, not rows to multiply
            m.appendReplacement(out, "generate_series(1, " + (n == 2 ? 2 : n * scale) + ")");
        }
        m.appendTail(out);
        return out.toString();
    }

    private static boolean validatedOnline(MigrationStatus status) {
        return !status.databases().isEmpty() && status.databases().stream().flatMap(d -> d.tables().stream())
                .allMatch(t -> t.validation() != null && "equal".equals(t.validation().state()));
    }

    private static JsonNode cutover(MigrationConfig config) throws InterruptedException {
        try (ControlClient client = new ControlClient(config)) {
            ControlCommand command = ControlCommand.create(config.name(), ControlCommand.Type.CUTOVER, true, false, 3600);
            client.send(command);
            return client.await(r -> "report".equals(ControlClient.text(r, "type")) && command.id().equals(ControlClient.text(r, "commandId")),
                    r -> { }, Duration.ofMinutes(90)).orElseThrow(() -> new IllegalStateException("no cutover report within 90 minutes"));
        }
    }
}
