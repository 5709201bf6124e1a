package io.pgshift.app.coordinator;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The migration's Prometheus metrics ({@code /metrics}), read from the latest {@link MigrationStatus} so a scrape never touches a
 * database: rows loaded and changes applied per table, and per database the pending changes, the WAL the capture has not confirmed,
 * and the apply latency; the phase as a one-hot gauge.
 */
final class MigrationMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Set<String> registered = ConcurrentHashMap.newKeySet();
    private volatile MigrationStatus latest;

    MigrationMetrics(String migration) {
        registry.config().commonTags("migration", migration);
        for (Phase p : Phase.values()) {
            Gauge.builder("pgshift.phase", this, m -> m.latest != null && m.latest.phase() == p ? 1 : 0)
                    .description("1 for the migration's current phase, 0 for the others").tag("phase", p.name()).register(registry);
        }
        Gauge.builder("pgshift.pending.changes", this, m -> m.latest == null ? 0 : m.latest.pendingChanges())
                .description("Records in Kafka not yet applied to the target, all databases").register(registry);
    }

    /** Takes a new status; meters of databases and tables seen for the first time are registered. */
    void update(MigrationStatus status) {
        this.latest = status;
        for (MigrationStatus.Database db : status.databases()) {
            String d = db.source();
            if (registered.add("db:" + d)) {
                Tags tags = Tags.of("database", d);
                gauge("pgshift.database.pending.changes", "Records in Kafka not yet applied to the target", tags, d, null,
                        MigrationStatus.Database::pendingChanges, t -> 0);
                gauge("pgshift.source.lag.bytes", "Source WAL not yet confirmed by the capture (current LSN - slot confirmed_flush_lsn)", tags, d, null,
                        MigrationStatus.Database::pendingWalBytes, t -> 0);
                gauge("pgshift.apply.latency.milliseconds", "Source commit to applied in the target, last change", tags, d, null,
                        MigrationStatus.Database::latencyMs, t -> 0);
            }
            if (db.connect() != null) {
                for (io.pgshift.app.connect.ConnectStreaming.PartitionLag p : db.connect().partitions()) {
                    String key = "lag:" + d + ":" + p.topic() + ":" + p.partition();
                    if (registered.add(key)) {
                        Gauge.builder("pgshift.connect.sink.lag.records", this, m -> m.partitionLag(d, p.topic(), p.partition()))
                                .description("Records of a table-topic partition the sink connector's consumer group has not committed (end - committed"
                                        + " offset), as Kafka tools show its lag")
                                .tags(Tags.of("database", d, "group", db.connect().consumerGroup(), "topic", p.topic(), "partition",
                                        Integer.toString(p.partition())))
                                .register(registry);
                    }
                }
            }
            for (MigrationStatus.Table t : db.tables()) {
                if (registered.add("table:" + d + ":" + t.table())) {
                    Tags tags = Tags.of("database", d, "table", t.table());
                    gauge("pgshift.rows.loaded", "Snapshot rows loaded into the target", tags, d, t.table(), x -> 0, MigrationStatus.Table::rowsLoaded);
                    gauge("pgshift.rows.expected", "Rows the source table held at the start (planner estimate)", tags, d, t.table(), x -> 0,
                            MigrationStatus.Table::rowsExpected);
                    counter(tags.and("op", "insert"), d, t.table(), MigrationStatus.Table::inserts);
                    counter(tags.and("op", "update"), d, t.table(), MigrationStatus.Table::updates);
                    counter(tags.and("op", "delete"), d, t.table(), MigrationStatus.Table::deletes);
                    counter(tags.and("op", "truncate"), d, t.table(), MigrationStatus.Table::truncates);
                }
            }
        }
    }

    private void gauge(String name, String help, Tags tags, String database, String table, ToDoubleFunction<MigrationStatus.Database> ofDatabase,
                       ToDoubleFunction<MigrationStatus.Table> ofTable) {
        Gauge.builder(name, this, m -> table == null ? m.databaseValue(database, ofDatabase) : m.tableValue(database, table, ofTable))
                .description(help).tags(tags).register(registry);
    }

    private void counter(Tags tags, String database, String table, ToDoubleFunction<MigrationStatus.Table> value) {
        FunctionCounter.builder("pgshift.changes.applied", this, m -> m.tableValue(database, table, value))
                .description("Changes applied to the target since this process started").tags(tags).register(registry);
    }

    private double databaseValue(String database, ToDoubleFunction<MigrationStatus.Database> f) {
        MigrationStatus s = latest;
        if (s == null) {
            return 0;
        }
        return s.databases().stream().filter(d -> d.source().equals(database)).mapToDouble(f).findFirst().orElse(0);
    }

    private double partitionLag(String database, String topic, int partition) {
        MigrationStatus s = latest;
        if (s == null) {
            return 0;
        }
        return s.databases().stream().filter(d -> d.source().equals(database) && d.connect() != null).flatMap(d -> d.connect().partitions().stream())
                .filter(p -> p.topic().equals(topic) && p.partition() == partition).mapToDouble(p -> p.lag()).findFirst().orElse(0);
    }

    private double tableValue(String database, String table, ToDoubleFunction<MigrationStatus.Table> f) {
        MigrationStatus s = latest;
        if (s == null) {
            return 0;
        }
        return s.databases().stream().filter(d -> d.source().equals(database)).flatMap(d -> d.tables().stream())
                .filter(t -> t.table().equals(table)).mapToDouble(f).findFirst().orElse(0);
    }

    /** The Prometheus text exposition. */
    String scrape() {
        return registry.scrape();
    }

    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
}
