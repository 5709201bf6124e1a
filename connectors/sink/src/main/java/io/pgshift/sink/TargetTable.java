package io.pgshift.sink;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.pgshift.core.TableId;

/**
 * A target table as the applier writes it: its columns in table order and its primary key (empty when
 * the table has none, and rows are then matched on all columns).
 *
 * @param orderSensitive whether a unique index or exclusion constraint other than the key makes the order of writes matter: its
 *                       changes are then applied one statement per change, in source order, never merged. (DEFERRABLE unique and
 *                       exclusion constraints are checked by constraint triggers, which the applier's session_replication_role =
 *                       replica does not fire, as for PostgreSQL's own apply worker: a source transaction's transient states, keys
 *                       renumbered or swapped in one statement, never stop it; the source checked them at its commit.)
 * @param writeRules     whether a rule on UPDATE or INSERT exists (enabled or not), which makes PostgreSQL refuse ON CONFLICT
 */
record TargetTable(TableId id, Map<String, TargetColumn> columns, List<String> keyColumns, boolean partitioned, boolean orderSensitive,
                   boolean writeRules) {

    TargetTable(TableId id, Map<String, TargetColumn> columns, List<String> keyColumns) {
        this(id, columns, keyColumns, false, false, false);
    }


    /**
     * The table as the target of an UPDATE, DELETE, TRUNCATE or a row lookup: {@code ONLY} for a plain table, so that a change
     * of a parent's row never touches the rows of its inheritance children (each child is a table of its own, with its own
     * changes); a partitioned table without {@code ONLY}, since its rows live in its partitions (PostgreSQL: "ONLY" in the
     * UPDATE, DELETE and TRUNCATE references).
     */
    String onlyQuoted() {
        return partitioned ? id.quoted() : "ONLY " + id.quoted();
    }

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
