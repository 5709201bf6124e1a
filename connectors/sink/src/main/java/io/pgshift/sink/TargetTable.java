package io.pgshift.sink;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.pgshift.core.TableId;

/**
 * A target table as the applier writes it: its columns in table order and its primary key (empty when
 * the table has none, and rows are then matched on all columns).
 */
record TargetTable(TableId id, Map<String, TargetColumn> columns, List<String> keyColumns) {

    boolean hasColumn(String column) {
        return columns.containsKey(column);
    }

    TargetColumn column(String name) {
        return columns.get(name);
    }

    boolean isGenerated(String column) {
        TargetColumn c = columns.get(column);
        return c != null && c.generated();
    }

    /** The columns whose Debezium values are not exact: they are read from the source instead. */
    List<String> inexactColumns() {
        return columns.values().stream().filter(c -> !c.generated() && !c.carriedExactly()).map(TargetColumn::name).collect(Collectors.toList());
    }
}
