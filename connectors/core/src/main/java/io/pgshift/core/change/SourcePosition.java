package io.pgshift.core.change;

import io.pgshift.core.Lsn;

/**
 * Where a change stands in the source's logical replication stream: the commit LSN of the transaction
 * before it and its own LSN. In stream order this pair only grows, so a change replayed into Kafka
 * after a capture restart is recognised by a position at or below the last one applied. Snapshot rows
 * have no stream position ({@link #SNAPSHOT}).
 */
public record SourcePosition(Lsn previousCommitLsn, Lsn lsn) implements Comparable<SourcePosition> {

    public static final SourcePosition SNAPSHOT = new SourcePosition(Lsn.INVALID, Lsn.INVALID);

    public boolean isSnapshot() {
        return this.equals(SNAPSHOT);
    }

    @Override
    public int compareTo(SourcePosition o) {
        int c = previousCommitLsn.compareTo(o.previousCommitLsn);
        return c != 0 ? c : lsn.compareTo(o.lsn);
    }

    @Override
    public String toString() {
        return isSnapshot() ? "snapshot" : lsn + " (after commit " + previousCommitLsn + ")";
    }
}
