package io.pgshift.core.change;

import java.util.Set;

/**
 * Which PostgreSQL types the Debezium PostgreSQL connector (pgoutput, with the settings pgshift chooses) carries exactly
 * enough to write back the identical value, by the type a column resolves to after its domains. Everything else is read from
 * the source by key when applied, because Debezium's value is lossy, wrong, or missing: {@code money} travels as a double;
 * {@code timetz} loses its offset; {@code varbit} its length; arrays lose their lower bounds and every dimension but one,
 * and arrays of some element types ({@code interval[]}) are dropped from the record altogether ("No converter found for
 * column"); geometric types other than {@code point}, {@code tsquery} and extension types have no faithful form. The capture
 * replaces such values before Debezium converts them ({@link #FROM_SOURCE_SCHEMA}), so none is dropped or half-converted.
 */
public final class DebeziumTypes {

    /** The Connect schema name of a value the capture did not carry: the applier reads it from the source. */
    public static final String FROM_SOURCE_SCHEMA = "io.pgshift.data.FromSource";

    private static final Set<String> EXACT = Set.of(
            "bool", "int2", "int4", "int8", "oid", "float4", "float8", "numeric",
            "text", "varchar", "bpchar", "name", "char", "citext", "bytea", "uuid", "json", "jsonb", "xml",
            "inet", "cidr", "macaddr", "macaddr8", "date", "timestamp", "timestamptz", "time", "interval", "bit",
            "tsvector", "int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange", "point");

    private DebeziumTypes() {
    }

    /**
     * @param baseType the type's name after resolving domains ({@code pg_type.typname})
     * @param baseKind {@code pg_type.typtype} of that type: b base, e enum, c composite, r range, m multirange, p pseudo
     * @param array    whether that type is an array
     */
    public static boolean carriesExactly(String baseType, char baseKind, boolean array) {
        if (array) {
            return false;
        }
        if (baseKind == 'e') {
            return true; // enum labels travel as strings
        }
        return EXACT.contains(baseType);
    }
}
