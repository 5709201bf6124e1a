package io.pgshift.core.validation;

import io.pgshift.core.TableId;

/** A table's row count and the md5 of its rows' text forms in key order. */
public record TableChecksum(TableId table, long rowCount, String md5) {
}
