package io.pgshift.sink;

import io.pgshift.core.change.ChangeEvent;

/**
 * One Kafka record as the applier sees it: where it sits, and the change it carries ({@code null} for a
 * record that changes nothing, such as a tombstone, whose offset still counts as applied).
 */
public record SourceRecordRef(PartitionRef partition, long offset, ChangeEvent event) {
}
