package io.pgshift.core.change;

import io.pgshift.core.Lsn;

/**
 * Where a change stands in the source's logical replication stream: the commit LSN of the transaction
 * before it and its own LSN. In stream order this pair only grows, so a change replayed into Kafka
 * after a capture restart is recognised by a position at or below the last one applied. Snapshot rows
 * have no stream position ({@link #SNAPSHOT}).
 */
public record SourcePosition(Lsn previousCommitLsn, Lsn lsn, int step) implements Comparable<SourcePosition> {

    public static final SourcePosition SNAPSHOT = new SourcePosition(Lsn.INVALID, Lsn.INVALID, 0);

    public SourcePosition(Lsn previousCommitLsn, Lsn lsn) {
        this(previousCommitLsn, lsn, 0);
    }

    /**
     * The second record of one change: an update of a primary key arrives as a delete of the old key and
     * an insert of the new one, both at the same LSN; the insert is step 1.
     */
    public SourcePosition secondStep() {
        return new SourcePosition(previousCommitLsn, lsn, 1);
    }

    public boolean isSnapshot() {
        return this.equals(SNAPSHOT);
    }

    @Override
    public int compareTo(SourcePosition o) {
        int c = previousCommitLsn.compareTo(o.previousCommitLsn);
        if (c == 0) {
            c = lsn.compareTo(o.lsn);
        }
        return c != 0 ? c : Integer.compare(step, o.step);
    }

    @Override
    public String toString() {
        return isSnapshot() ? "snapshot" : lsn + (step > 0 ? "/" + step : "") + " (after commit " + previousCommitLsn + ")";
    }
}
