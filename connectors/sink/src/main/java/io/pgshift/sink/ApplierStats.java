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

    private final Map<TableId, TableStats> tables = new ConcurrentHashMap<>();
    private final LongAdder applied = new LongAdder();
    private final LongAdder skippedReplays = new LongAdder();
    private final AtomicLong lastAppliedAtMs = new AtomicLong();
    private final AtomicLong lastLatencyMs = new AtomicLong(-1);

    void recordApplied(TableId table, ChangeOp op, long commitTimeMs, boolean endsTableLoad, long nowMs) {
        TableStats ts = tables.computeIfAbsent(table, t -> new TableStats());
        ts.count(op, 1, nowMs);
        if (endsTableLoad) {
            ts.loadCompletedAtMs.compareAndSet(0, nowMs);
        }
        applied.increment();
        lastAppliedAtMs.set(nowMs);
        if (op != ChangeOp.READ && commitTimeMs > 0) {
            lastLatencyMs.set(Math.max(0, nowMs - commitTimeMs));
        }
    }

    void recordError(TableId table, String reason) {
        TableStats ts = tables.computeIfAbsent(table, t -> new TableStats());
        ts.errors.increment();
        ts.lastError = reason;
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
