package io.pgshift.app.coordinator;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.core.catalog.TableInfo;
import io.pgshift.source.LoadPlan;
import io.pgshift.sink.ApplierStats;

/**
 * Reads a running pipeline's state into {@link MigrationStatus.Database} entries: per table load progress and changes applied from
 * the applier's counters, pending records from Kafka's end offsets against the applier's watermarks, and the WAL the capture has not
 * confirmed yet from the source's replication slot.
 */
final class StatusCollector implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StatusCollector.class);
    private static final String WAL_LAG = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint FROM pg_replication_slots"
            + " WHERE slot_name = ?";

    private final MigrationConfig config;
    private final Map<String, Connection> sources = new HashMap<>();

    StatusCollector(MigrationConfig config) {
        this.config = config;
    }

    /** @param validation the online validation, for each table's last pass; null when none runs */
    List<MigrationStatus.Database> databases(Pipeline pipeline, Validation validation) throws InterruptedException {
        List<MigrationStatus.Database> out = new ArrayList<>();
        for (Pipeline.Lane lane : pipeline.lanes()) {
            out.add(database(pipeline, lane, validation));
        }
        return out;
    }

    private MigrationStatus.Database database(Pipeline pipeline, Pipeline.Lane lane, Validation validation) throws InterruptedException {
        Map<TopicPartition, Long> ends = pipeline.endOffsets(lane.capture().allTopics());
        long pending = pipeline.pending(lane, ends);
        String slot = config.names().slotName(lane.mapping().source());
        long walBytes = walLag(lane.mapping().source(), slot);
        boolean loaded = lane.loaded().isDone() && !lane.loaded().isCompletedExceptionally();
        boolean failed = lane.loaded().isCompletedExceptionally() || lane.capture().finished().isCompletedExceptionally()
                || lane.applier().finished().isCompletedExceptionally();
        boolean noLoad = lane.capture().loadPlan() == LoadPlan.RESUME || !pipeline.options().load();
        long now = System.currentTimeMillis();
        List<io.pgshift.sink.SchemaChangeHolds.Held> held = held(pipeline, lane.mapping().target());
        Map<String, Long> heldBy = new HashMap<>();
        held.forEach(h -> h.tables().forEach(t -> heldBy.putIfAbsent(t, h.id())));
        List<MigrationStatus.Table> tables = new ArrayList<>();
        long rows = 0;
        long expected = 0;
        for (TableInfo info : lane.capture().tables()) {
            ApplierStats.TableStats ts = lane.stats().table(info.id());
            String state;
            if (noLoad) {
                state = "skipped";
            }
            else if (ts.loadCompletedAtMs() > 0 || loaded) {
                state = "completed";
            }
            else if (failed) {
                state = "failed";
            }
            else if (ts.snapshotRows() > 0) {
                state = "loading";
            }
            else {
                state = "queued";
            }
            Long duration = null;
            if (ts.loadStartedAtMs() > 0) {
                long end = ts.loadCompletedAtMs() > 0 ? ts.loadCompletedAtMs() : loaded ? lane.loaded().join().toEpochMilli() : now;
                // A bulk load reads every table at once from one snapshot and its parts arrive in a few large records: a table's load
                // time runs from the start of the load, not from its first applied part (which may also be its last).
                long start = lane.capture().loadTopic().isPresent() ? Math.min(lane.startedAt().toEpochMilli(), ts.loadStartedAtMs())
                        : ts.loadStartedAtMs();
                duration = Math.max(0, end - start);
            }
            long tableExpected = info.estimatedRows();
            rows += ts.snapshotRows();
            expected = expected < 0 || tableExpected < 0 ? -1 : expected + tableExpected;
            tables.add(new MigrationStatus.Table(info.id().toString(), state, ts.snapshotRows(), tableExpected, duration, ts.inserts(), ts.updates(),
                    ts.deletes(), ts.truncates(), instant(ts.lastChangeAtMs()), ts.errors(), ts.lastError(),
                    validation == null ? null : validation.view(lane, info.id()), heldBy.get(info.id().quoted())));
        }
        String loadState = noLoad ? "skipped" : loaded ? "completed" : failed ? "failed" : rows > 0 ? "loading" : "queued";
        Long loadDuration = loaded ? lane.loaded().join().toEpochMilli() - lane.startedAt().toEpochMilli()
                : noLoad ? null : now - lane.startedAt().toEpochMilli();
        String error = pipeline.failure().map(Throwable::getMessage).orElse(null);
        io.pgshift.app.connect.ConnectStreaming.View connect = pipeline.connect() == null ? null : pipeline.connect().view(lane.mapping().source(), ends);
        failed |= connect != null && connect.failure() != null && pipeline.failure().isPresent();
        return new MigrationStatus.Database(lane.mapping().source(), lane.mapping().target(), slot, loadState, rows, expected, loadDuration, pending,
                walBytes, lane.stats().lastLatencyMs(), instant(lane.stats().lastAppliedAtMs()), failed ? error : null, tables, connect,
                held.stream().map(MigrationStatus.SchemaChange::of).toList());
    }

    /** The schema changes the target database holds (none when it cannot be read now, logged at debug; the next round tries again). */
    private static List<io.pgshift.sink.SchemaChangeHolds.Held> held(Pipeline pipeline, String database) {
        try {
            return pipeline.heldSchemaChanges(database);
        }
        catch (IllegalStateException e) {
            LOG.debug("{}", e.getMessage());
            return List.of();
        }
    }

    /** Bytes of WAL the slot has not confirmed; −1 when the source cannot be asked (logged at debug, the next round tries again). */
    private long walLag(String database, String slot) {
        try {
            Connection c = sources.get(database);
            if (c == null || c.isClosed()) {
                c = config.source().connect(database, "pgshift-status");
                sources.put(database, c);
            }
            try (PreparedStatement ps = c.prepareStatement(WAL_LAG)) {
                ps.setString(1, slot);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Math.max(0, rs.getLong(1)) : -1;
                }
            }
        }
        catch (SQLException e) {
            LOG.debug("Cannot read the WAL lag of slot {} in '{}': {}", slot, database, e.getMessage());
            Connection c = sources.remove(database);
            closeQuietly(c);
            return -1;
        }
    }

    static String instant(long epochMs) {
        return epochMs <= 0 ? null : Instant.ofEpochMilli(epochMs).toString();
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            }
            catch (SQLException e) {
                LOG.trace("close", e);
            }
        }
    }

    @Override
    public void close() {
        sources.values().forEach(StatusCollector::closeQuietly);
        sources.clear();
    }
}
