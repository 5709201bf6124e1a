package io.pgshift.core.validation;

import io.pgshift.core.TableId;

/** A table's row count and the checksum of its rows' text forms ({@link ChunkChecksums}). */
public record TableChecksum(TableId table, long rowCount, String checksum) {
}
