package io.pgshift.sink;

import io.pgshift.core.change.ChangeEvent;

/**
 * One Kafka record as the applier sees it: where it sits, and the change it carries ({@code null} for a
 * record that changes nothing, such as a tombstone, whose offset still counts as applied).
 *
 * @param superseded the row is gone from the source and a later record of the same partition removes it:
 *                   nothing to write (set when values had to be read from the source)
 */
public record SourceRecordRef(PartitionRef partition, long offset, ChangeEvent event, boolean superseded) {

    public SourceRecordRef(PartitionRef partition, long offset, ChangeEvent event) {
        this(partition, offset, event, false);
    }

    SourceRecordRef withEvent(ChangeEvent replacement) {
        return new SourceRecordRef(partition, offset, replacement, false);
    }

    SourceRecordRef asSuperseded() {
        return new SourceRecordRef(partition, offset, event, true);
    }
}
