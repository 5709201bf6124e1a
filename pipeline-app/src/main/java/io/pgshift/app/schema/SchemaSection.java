package io.pgshift.app.schema;

import java.util.Locale;

/** The two parts of a schema, as {@code pg_dump}/{@code pg_restore --section} name them. */
public enum SchemaSection {
    /** Types, domains, tables, sequences, functions, views: what the load needs. */
    PRE_DATA("pre-data"),
    /** Indexes, constraints, foreign keys, triggers, materialized view contents: built after the load, which is much faster. */
    POST_DATA("post-data");

    private final String label;

    SchemaSection(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static SchemaSection of(String label) {
        for (SchemaSection s : values()) {
            if (s.label.equals(label.toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new IllegalArgumentException("'" + label + "' is not a schema section: use pre-data or post-data");
    }

    @Override
    public String toString() {
        return label;
    }
}
