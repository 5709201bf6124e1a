package io.pgshift.core;

import java.util.Objects;

/** A table's schema and name, unquoted, exactly as in {@code pg_namespace} and {@code pg_class}. */
public record TableId(String schema, String table) implements Comparable<TableId> {

    public TableId {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(table, "table");
    }

    /** The quoted, schema-qualified name to use in SQL. */
    public String quoted() {
        return Identifiers.quote(schema) + "." + Identifiers.quote(table);
    }

    @Override
    public int compareTo(TableId o) {
        int c = schema.compareTo(o.schema);
        return c != 0 ? c : table.compareTo(o.table);
    }

    @Override
    public String toString() {
        return schema + "." + table;
    }
}
