package io.pgshift.sink;

/**
 * Holds the change stream back while the target tables are still being loaded. During the full load the
 * target has no indexes or constraints yet (the post-data section of the schema comes after the load, which
 * makes the load much faster); snapshot rows go in with {@code COPY}, which needs none, but changes need the
 * keys. While the gate is closed, an applier applies each partition up to its first change record and holds
 * that partition there; once post-data is in, the gate opens and the held partitions go on.
 */
public final class StreamGate {

    private volatile boolean open;

    private StreamGate(boolean open) {
        this.open = open;
    }

    /** A gate that never holds anything back: the target already has its keys (Kafka Connect, resumed migrations). */
    public static StreamGate alwaysOpen() {
        return new StreamGate(true);
    }

    /** A gate that holds changes back until {@link #open()}. */
    public static StreamGate closed() {
        return new StreamGate(false);
    }

    public boolean isOpen() {
        return open;
    }

    public void open() {
        open = true;
    }
}
