package io.pgshift.sink;

/**
 * One column of a target table.
 *
 * @param name      the column name, unquoted
 * @param typeName  the declared type, as {@code format_type} prints it
 * @param baseType  the type's name after resolving domains ({@code pg_type.typname})
 * @param baseKind  {@code pg_type.typtype} of the base type: b base, e enum, c composite, r range, m multirange
 * @param array     whether the base type is an array
 * @param generated whether the target computes the column ({@code GENERATED ALWAYS AS ... STORED})
 * @param notNull   whether the column is declared NOT NULL
 */
record TargetColumn(String name, String typeName, String baseType, char baseKind, boolean array, boolean generated, boolean notNull) {

    /** Whether Debezium's value of this column can be turned back into the exact source value. */
    boolean carriedExactly() {
        return DebeziumFidelity.carriesExactly(this);
    }
}
