package io.pgshift.source;

import io.pgshift.core.Lsn;

/**
 * A fence row seen by the capture after Kafka acknowledged everything before it in the stream. From
 * this moment the end offsets of the table topics cover every change the source committed before the
 * fence: once the applier has applied up to them, the target holds all of it.
 */
public record FencePoint(String database, long fenceId, Lsn lsn) {
}
