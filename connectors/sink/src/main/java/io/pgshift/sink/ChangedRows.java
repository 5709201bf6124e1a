package io.pgshift.sink;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.pgshift.core.TableId;
import io.pgshift.core.change.ChangeEvent;
import io.pgshift.core.change.ChangeOp;

/**
 * The rows the applier changed in the target, by key, each with a sequence number taken after its transaction committed, so that a
 * validation can ask "which rows changed since this moment": a chunk found equal on both servers stays equal until a change reaches a
 * row of it, and a cutover needs to compare again only the rows changed since (with a frozen source that is exact). Thread-safe:
 * every applier worker of a database records here, the validation reads.
 * <p>
 * Keys are kept only for the tables {@link #track tracked}, and at most {@code maxKeys} in all (about 150 bytes of heap each): a
 * table whose new key would pass that (or that was truncated, or whose key a record does not carry as text) has its changed keys
 * <em>incomplete</em> until a validation pass {@link #resume resumes} them before it begins, and whoever relies on them must compare
 * the whole table again.
 */
public final class ChangedRows {

    /** What changed in one table since a moment. */
    public record Since(boolean changed, boolean complete, List<List<String>> keys) {
    }

    private static final class TableChanges {
        final List<String> keyColumns;
        final Map<List<String>, Long> keys = new HashMap<>();
        long lastChange = -1;
        /** Keys are complete for changes after this sequence number (Long.MAX_VALUE: incomplete until the next resume). */
        long completeAfter = -1;

        TableChanges(List<String> keyColumns) {
            this.keyColumns = keyColumns;
        }
    }

    private final AtomicLong sequence = new AtomicLong();
    /** Set when changes stop being recorded (their reader failed): every table has changed, its keys incomplete, from then on. */
    private volatile boolean blind;
    private final AtomicLong keptKeys = new AtomicLong();
    private final int maxKeys;
    private final Map<TableId, TableChanges> tables = new ConcurrentHashMap<>();
    private final Map<TableId, Long> untrackedLastChange = new ConcurrentHashMap<>();

    /** @param maxKeys keys kept at most, all tables together (about 150 bytes of heap each) */
    public ChangedRows(int maxKeys) {
        this.maxKeys = maxKeys;
    }

    /**
     * Keeps the keys of this table's changes from now on; {@code keyColumns} empty: only whether it changed. Tracking a table again with
     * other key columns starts it afresh.
     */
    public void track(TableId table, List<String> keyColumns) {
        tables.compute(table, (t, existing) -> {
            if (existing != null && existing.keyColumns.equals(keyColumns)) {
                return existing;
            }
            // New, or its key changed (a schema change): keys recorded under the old key columns mean nothing now.
            if (existing != null) {
                keptKeys.addAndGet(-existing.keys.size());
            }
            TableChanges c = new TableChanges(List.copyOf(keyColumns));
            c.completeAfter = sequence.get();
            return c;
        });
    }

    /** The current sequence number: changes recorded from now on have a higher one. */
    public long now() {
        return sequence.get();
    }

    /** Records the applied changes; called after their target transaction committed. */
    public void record(List<ChangeEvent> applied) {
        for (ChangeEvent e : applied) {
            TableChanges c = tables.get(e.table());
            if (c == null) {
                untrackedLastChange.put(e.table(), sequence.incrementAndGet());
                continue;
            }
            synchronized (c) {
                // Numbered and kept under the table's lock, as since() reads: whoever saw this number in now() and then asks since()
                // finds the key (a sweep that compared the keys it found forgets up to its number).
                long seq = sequence.incrementAndGet();
                c.lastChange = seq;
                if (c.keyColumns.isEmpty() || c.completeAfter == Long.MAX_VALUE) {
                    continue;
                }
                List<String> key = e.op() == ChangeOp.TRUNCATE ? null : keyOf(c.keyColumns, e.key());
                if (key == null || !c.keys.containsKey(key) && keptKeys.get() >= maxKeys) {
                    keptKeys.addAndGet(-c.keys.size());
                    c.keys.clear();
                    c.completeAfter = Long.MAX_VALUE;
                    continue;
                }
                if (c.keys.put(key, seq) == null) {
                    keptKeys.incrementAndGet();
                }
            }
        }
    }

    private static List<String> keyOf(List<String> columns, Map<String, String> key) {
        List<String> values = new ArrayList<>(columns.size());
        for (String column : columns) {
            String v = key.get(column);
            if (v == null || ChangeEvent.isFromSource(v) || ChangeEvent.isUnchanged(v)) {
                return null;
            }
            values.add(v);
        }
        return values;
    }

    /**
     * Changes are no longer recorded from now on (whoever read them stopped): every table counts as changed, with its keys incomplete,
     * so that a validation compares every table whole.
     */
    public void markAllIncomplete() {
        blind = true;
    }

    /** What changed in the table after sequence number {@code after}. */
    public Since since(TableId table, long after) {
        if (blind) {
            return new Since(true, false, List.of());
        }
        TableChanges c = tables.get(table);
        if (c == null) {
            return new Since(untrackedLastChange.getOrDefault(table, -1L) > after, false, List.of());
        }
        synchronized (c) {
            boolean complete = !c.keyColumns.isEmpty() && c.completeAfter <= after;
            List<List<String>> keys = complete ? c.keys.entrySet().stream().filter(e -> e.getValue() > after).map(Map.Entry::getKey).toList() : List.of();
            return new Since(c.lastChange > after, complete, keys);
        }
    }

    /**
     * Keeps the table's keys complete from now on if they were not (a pass is about to begin: it notes {@link #now()} after this, so
     * the keys are complete after its moment).
     */
    public void resume(TableId table) {
        TableChanges c = tables.get(table);
        if (c == null) {
            return;
        }
        synchronized (c) {
            if (c.completeAfter == Long.MAX_VALUE) {
                c.completeAfter = sequence.get();
            }
        }
    }

    /** How many keys are kept for the table. */
    public int keptKeys(TableId table) {
        TableChanges c = tables.get(table);
        if (c == null) {
            return 0;
        }
        synchronized (c) {
            return c.completeAfter == Long.MAX_VALUE ? Integer.MAX_VALUE : c.keys.size();
        }
    }

    /**
     * Drops the keys recorded at or before {@code upTo} (the table was found equal as of then). Keys that were incomplete stay so
     * until {@link #resume}.
     */
    public void forget(TableId table, long upTo) {
        TableChanges c = tables.get(table);
        if (c == null) {
            return;
        }
        synchronized (c) {
            int before = c.keys.size();
            c.keys.values().removeIf(seq -> seq <= upTo);
            keptKeys.addAndGet(c.keys.size() - before);
        }
    }
}
