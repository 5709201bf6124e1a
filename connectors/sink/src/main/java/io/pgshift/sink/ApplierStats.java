package io.pgshift.sink;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import io.pgshift.core.TableId;
import io.pgshift.core.change.ChangeOp;

/** What the applier has written, per table, since this process started. Thread-safe. */
public final class ApplierStats {

    /** Counters of one table. */
    public static final class TableStats {
        private final LongAdder snapshotRows = new LongAdder();
        private final LongAdder inserts = new LongAdder();
        private final LongAdder updates = new LongAdder();
        private final LongAdder deletes = new LongAdder();
        private final LongAdder truncates = new LongAdder();
        private final LongAdder errors = new LongAdder();
        private final AtomicLong loadStartedAtMs = new AtomicLong();
        private final AtomicLong loadCompletedAtMs = new AtomicLong();
        private final AtomicLong lastChangeAtMs = new AtomicLong();
        private final LongAdder chunksLoaded = new LongAdder();
        private volatile String lastError;

        void count(ChangeOp op, long n, long nowMs) {
            if (op == ChangeOp.READ) {
                loadStartedAtMs.compareAndSet(0, nowMs);
            }
            else {
                lastChangeAtMs.set(nowMs);
            }
            switch (op) {
                case READ -> snapshotRows.add(n);
                case CREATE -> inserts.add(n);
                case UPDATE -> updates.add(n);
                case DELETE -> deletes.add(n);
                case TRUNCATE -> truncates.add(n);
            }
        }

        public long snapshotRows() {
            return snapshotRows.sum();
        }

        public long inserts() {
            return inserts.sum();
        }

        public long updates() {
            return updates.sum();
        }

        public long deletes() {
            return deletes.sum();
        }

        public long truncates() {
            return truncates.sum();
        }

        /** Changes to this table the target refused. */
        public long errors() {
            return errors.sum();
        }

        /** Why the target last refused a change to this table (no values: they may be personal data); null when it never did. */
        public String lastError() {
            return lastError;
        }

        /** When the first snapshot row was applied, epoch ms; 0 before. */
        public long loadStartedAtMs() {
            return loadStartedAtMs.get();
        }

        /** When the table's last snapshot row was applied, epoch ms; 0 while its load goes on (or when it had no rows). */
        public long loadCompletedAtMs() {
            return loadCompletedAtMs.get();
        }

        /** When the last streamed change (not a snapshot row) was applied, epoch ms; 0 before the first. */
        public long lastChangeAtMs() {
            return lastChangeAtMs.get();
        }
    }

    /** Changed keys kept for validation by default, all tables together ({@link ChangedRows}). */
    public static final int DEFAULT_CHANGED_KEYS = 400_000;

    private final Map<TableId, TableStats> tables = new ConcurrentHashMap<>();
    private final ChangedRows changedRows;
    private final LongAdder applied = new LongAdder();
    private final LongAdder skippedReplays = new LongAdder();
    private final LongAdder schemaChanges = new LongAdder();
    private final AtomicLong lastAppliedAtMs = new AtomicLong();
    private final AtomicLong lastLatencyMs = new AtomicLong(-1);
    /** Source commit to target commit of streamed changes: a count per millisecond up to 60 s, the last bucket for longer. */
    private final java.util.concurrent.atomic.AtomicLongArray latencies = new java.util.concurrent.atomic.AtomicLongArray(60_001);

    /**
     * One change applied: counted for its table, and its latency (source commit to {@code nowMs}) kept. Called by the appliers after
     * their target commit, and on Kafka Connect by the coordinator as it sees the sink's watermark pass the change.
     */
    public void recordApplied(TableId table, ChangeOp op, long commitTimeMs, boolean endsTableLoad, long nowMs) {
        TableStats ts = tables.computeIfAbsent(table, t -> new TableStats());
        ts.count(op, 1, nowMs);
        if (op == ChangeOp.DDL) {
            schemaChanges.increment();
        }
        if (endsTableLoad) {
            ts.loadCompletedAtMs.compareAndSet(0, nowMs);
        }
        applied.increment();
        lastAppliedAtMs.set(nowMs);
        if (op != ChangeOp.READ && commitTimeMs > 0) {
            long latency = Math.max(0, nowMs - commitTimeMs);
            lastLatencyMs.set(latency);
            latencies.incrementAndGet((int) Math.min(latency, latencies.length() - 1));
        }
    }

    /** A part of the bulk load applied: its rows; when it ends a chunk and every chunk of the table is in, the table's load is complete. */
    void recordLoaded(TableId table, long rows, boolean endsChunk, int chunks, long nowMs) {
        TableStats ts = tables.computeIfAbsent(table, t -> new TableStats());
        ts.count(ChangeOp.READ, rows, nowMs);
        if (endsChunk) {
            ts.chunksLoaded.increment();
            if (ts.chunksLoaded.sum() >= chunks) {
                ts.loadCompletedAtMs.compareAndSet(0, nowMs);
            }
        }
        applied.add(rows);
        lastAppliedAtMs.set(nowMs);
    }

    void recordError(TableId table, String reason) {
        TableStats ts = tables.computeIfAbsent(table, t -> new TableStats());
        ts.errors.increment();
        ts.lastError = reason;
    }

    void recordSkippedReplay() {
        skippedReplays.increment();
    }

    public ApplierStats() {
        this(DEFAULT_CHANGED_KEYS);
    }

    /** @param changedKeys changed keys kept for validation, all tables together ({@link ChangedRows}) */
    public ApplierStats(int changedKeys) {
        this.changedRows = new ChangedRows(changedKeys);
    }

    /** The rows changed by the appliers sharing these stats, by key ({@link ChangedRows}). */
    public ChangedRows changedRows() {
        return changedRows;
    }

    public Map<TableId, TableStats> tables() {
        return Map.copyOf(tables);
    }

    public TableStats table(TableId id) {
        return tables.computeIfAbsent(id, t -> new TableStats());
    }

    public long applied() {
        return applied.sum();
    }

    /** Changes that a capture restart wrote to Kafka a second time and the applier recognised and skipped. */
    /** Schema changes of the source applied (or found applied) to the target by this applier's process: a table's shape may differ since. */
    public long schemaChanges() {
        return schemaChanges.sum();
    }

    public long skippedReplays() {
        return skippedReplays.sum();
    }

    public long lastAppliedAtMs() {
        return lastAppliedAtMs.get();
    }

    /**
     * The {@code q}-quantile (0 to 1) of source commit to target commit over the streamed changes since the start or the last
     * {@link #resetLatencies()}, ms; -1 when there were none.
     */
    public long latencyQuantileMs(double q) {
        long total = 0;
        for (int i = 0; i < latencies.length(); i++) {
            total += latencies.get(i);
        }
        if (total == 0) {
            return -1;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < latencies.length(); i++) {
            seen += latencies.get(i);
            if (seen >= Math.max(1, rank)) {
                return i;
            }
        }
        return latencies.length() - 1;
    }

    /** Streamed changes whose latency {@link #latencyQuantileMs} counted. */
    public long latencyCount() {
        long total = 0;
        for (int i = 0; i < latencies.length(); i++) {
            total += latencies.get(i);
        }
        return total;
    }

    /** Forgets the latencies counted so far. */
    public void resetLatencies() {
        for (int i = 0; i < latencies.length(); i++) {
            latencies.set(i, 0);
        }
    }

    /** Source commit to target commit of the last streamed change, ms; -1 before the first. */
    public long lastLatencyMs() {
        return lastLatencyMs.get();
    }
}
