package io.pgshift.core.change;

import java.util.List;

/**
 * The part of a TRUNCATE that one partition of a key-partitioned table topic carries: the capture writes a table's TRUNCATE to every
 * partition of its topic, and the applier of each deletes the rows whose key {@link KeyPartitioner} puts in that partition, after
 * that partition's earlier changes and before its later ones, so the TRUNCATE stays a barrier for every row.
 *
 * @param partition  the partition this record was written to, in {@code [0, partitions)}
 * @param partitions the topic's partition count when the capture wrote it
 * @param keyColumns the key columns that were hashed, in key order
 */
public record TruncateSlice(int partition, int partitions, List<String> keyColumns) {

    public TruncateSlice {
        if (partitions < 1 || partition < 0 || partition >= partitions) {
            throw new IllegalArgumentException("partition " + partition + " of " + partitions);
        }
        keyColumns = List.copyOf(keyColumns);
        if (keyColumns.isEmpty()) {
            throw new IllegalArgumentException("a truncate slice needs the key columns");
        }
    }

    /** The condition on the target that holds for exactly this slice's rows. */
    public String sqlCondition() {
        return KeyPartitioner.sqlCondition(keyColumns, partition, partitions);
    }
}
