package io.pgshift.sink;

import java.util.List;
import java.util.Map;
import java.util.Set;

import io.pgshift.core.TableId;

/** A target table as the applier writes it: its columns (with types), the generated ones, and its key. */
record TargetTable(TableId id, Map<String, String> columnTypes, Set<String> generated, List<String> keyColumns) {

    boolean hasColumn(String column) {
        return columnTypes.containsKey(column);
    }
}
