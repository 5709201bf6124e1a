package io.pgshift.sink;

/** A Kafka topic partition, without Kafka's classes, so the applier core serves any driver. */
public record PartitionRef(String topic, int partition) {

    @Override
    public String toString() {
        return topic + "-" + partition;
    }
}
