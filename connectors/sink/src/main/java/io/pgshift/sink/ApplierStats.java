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

        void count(ChangeOp op, long n) {
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
    }

    private final Map<TableId, TableStats> tables = new ConcurrentHashMap<>();
    private final LongAdder applied = new LongAdder();
    private final LongAdder skippedReplays = new LongAdder();
    private final AtomicLong lastAppliedAtMs = new AtomicLong();
    private final AtomicLong lastLatencyMs = new AtomicLong(-1);

    void recordApplied(TableId table, ChangeOp op, long commitTimeMs, long nowMs) {
        tables.computeIfAbsent(table, t -> new TableStats()).count(op, 1);
        applied.increment();
        lastAppliedAtMs.set(nowMs);
        if (op != ChangeOp.READ && commitTimeMs > 0) {
            lastLatencyMs.set(Math.max(0, nowMs - commitTimeMs));
        }
    }

    void recordSkippedReplay() {
        skippedReplays.increment();
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
    public long skippedReplays() {
        return skippedReplays.sum();
    }

    public long lastAppliedAtMs() {
        return lastAppliedAtMs.get();
    }

    /** Source commit to target commit of the last streamed change, ms; -1 before the first. */
    public long lastLatencyMs() {
        return lastLatencyMs.get();
    }
}
