package io.pgshift.sink;

import io.pgshift.core.change.ChangeEvent;
import io.pgshift.core.load.LoadPart;

/**
 * One Kafka record as the applier sees it: where it sits, and the change it carries ({@code null} for a
 * record that changes nothing, such as a tombstone, whose offset still counts as applied), or the bulk load's
 * COPY data it carries.
 *
 * @param superseded the row is gone from the source and a later record of the same partition removes it:
 *                   nothing to write (set when values had to be read from the source)
 * @param load       a load topic's record (then {@code event} is null), or null
 * @param data       a load part's COPY data, or null
 */
public record SourceRecordRef(PartitionRef partition, long offset, ChangeEvent event, boolean superseded, LoadPart load, byte[] data) {

    public SourceRecordRef(PartitionRef partition, long offset, ChangeEvent event) {
        this(partition, offset, event, false, null, null);
    }

    /** A record of a load topic. */
    public static SourceRecordRef ofLoad(PartitionRef partition, long offset, LoadPart load, byte[] data) {
        return new SourceRecordRef(partition, offset, null, false, load, data);
    }

    SourceRecordRef withEvent(ChangeEvent replacement) {
        return new SourceRecordRef(partition, offset, replacement, false, null, null);
    }

    SourceRecordRef asSuperseded() {
        return new SourceRecordRef(partition, offset, event, true, null, null);
    }
}
