package io.pgshift.core.catalog;

import java.util.List;

import io.pgshift.core.TableId;

/** What the catalog says of one table. */
public record TableInfo(TableId id, boolean partitioned, char replicaIdentity, List<String> keyColumns, long estimatedRows) {

    public boolean hasPrimaryKey() {
        return !keyColumns.isEmpty();
    }
}
