package io.pgshift.sink;

import java.util.Set;

/**
 * Which PostgreSQL types the Debezium PostgreSQL connector (pgoutput, with the settings pgshift chooses)
 * carries exactly enough to write back the identical value. Everything else is read from the source by
 * key when applied (see {@link SourceRowReader}), because Debezium's value is lossy or wrong, for example:
 * {@code money} travels as a double; {@code timetz} loses its offset; {@code varbit} loses its length;
 * arrays lose their lower bounds and every dimension but one (or become null); geometric types other than
 * {@code point}, {@code tsquery} and extension types have no faithful representation. In the snapshot,
 * {@code date} values lose their era (44 BC arrives as AD 44), so snapshot rows read dates from the source.
 */
final class DebeziumFidelity {

    private static final Set<String> EXACT = Set.of(
            "bool", "int2", "int4", "int8", "oid", "float4", "float8", "numeric",
            "text", "varchar", "bpchar", "name", "char", "citext", "bytea", "uuid", "json", "jsonb", "xml",
            "inet", "cidr", "macaddr", "macaddr8", "date", "timestamp", "timestamptz", "time", "interval", "bit",
            "tsvector", "int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange", "point");

    private DebeziumFidelity() {
    }

    static boolean carriesExactly(TargetColumn column, boolean snapshot) {
        if (snapshot && "date".equals(column.baseType())) {
            return false;
        }
        return carriesExactly(column);
    }

    static boolean carriesExactly(TargetColumn column) {
        if (column.array()) {
            return false;
        }
        if (column.baseKind() == 'e') {
            return true; // enum labels travel as strings
        }
        return EXACT.contains(column.baseType());
    }
}
