package io.pgshift.source;

/**
 * How the initial load runs.
 *
 * @param method        {@link Method#COPY}: pgshift's bulk snapshot; {@link Method#DEBEZIUM}: Debezium's own snapshot, as row events
 * @param readers       source connections reading chunks in parallel (copy method)
 * @param chunkBytes    the size of table data one chunk aims at; larger tables are split into key ranges of about this size
 * @param partBytes     the most COPY data one Kafka record carries (a single larger row goes alone)
 * @param partitions    partitions of the load topic (the applier's workers share them)
 * @param walWarnBytes  a warning is logged when the slot holds back more source WAL than this while the load runs
 */
public record LoadOptions(Method method, int readers, long chunkBytes, int partBytes, int partitions, long walWarnBytes) {

    /** How the initial load reads the source. */
    public enum Method {
        /** Parallel {@code COPY ... TO STDOUT} from the slot's exported snapshot, as COPY data records on the load topic. */
        COPY,
        /** Debezium's snapshot: one row event per row, on the table topics. */
        DEBEZIUM
    }

    /**
     * The default most COPY data per record: just under 1 MiB, so that a part (and the buffer it is cut in, and the producer batch
     * it travels in) fits one 1 MB G1 heap region. At 1 MiB and more, every part would span two regions and half the heap its parts
     * occupy would be waste.
     */
    public static final int DEFAULT_PART_BYTES = (1 << 20) - (32 << 10);

    public LoadOptions {
        if (readers < 1) {
            throw new IllegalArgumentException("readers must be at least 1, was " + readers);
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, was " + partitions);
        }
        if (chunkBytes < 1 || partBytes < 1024) {
            throw new IllegalArgumentException("chunkBytes must be positive and partBytes at least 1024");
        }
    }

    /** The defaults: the bulk copy with 4 readers, 32 MB chunks, records just under 1 MiB, 2 partitions, and a warning past 10 GB of WAL held back. */
    public static LoadOptions defaults() {
        return new LoadOptions(Method.COPY, 4, 32L << 20, DEFAULT_PART_BYTES, 2, 10L << 30);
    }
}
