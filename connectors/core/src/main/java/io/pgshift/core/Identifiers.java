package io.pgshift.core;

/** Quoting of PostgreSQL identifiers and literals; SQL is never built by concatenating raw names. */
public final class Identifiers {

    private Identifiers() {
    }

    /** Always quotes: {@code Order} becomes {@code "Order"}, {@code a"b} becomes {@code "a""b"}. */
    public static String quote(String identifier) {
        if (identifier == null || identifier.isEmpty()) {
            throw new IllegalArgumentException("An SQL identifier cannot be empty");
        }
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("An SQL identifier cannot contain a NUL character: " + identifier.replace('\0', '?'));
        }
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** A standard-conforming string literal: {@code it's} becomes {@code 'it''s'}. */
    public static String literal(String value) {
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("An SQL literal cannot contain a NUL character");
        }
        return '\'' + value.replace("'", "''") + '\'';
    }

    /**
     * Reads a qualified name as {@code format('%I.%I', schema, name)} writes it (PostgreSQL's quote_ident: quoted when it must be,
     * with doubled quotes inside) back into its two parts.
     *
     * @throws IllegalArgumentException when it is not two identifiers joined by a dot
     */
    public static TableId parseQualified(String qualified) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        StringBuilder b = new StringBuilder();
        int i = 0;
        while (i <= qualified.length()) {
            if (i < qualified.length() && qualified.charAt(i) == '"') {
                int j = i + 1;
                while (j < qualified.length()) {
                    if (qualified.charAt(j) == '"') {
                        if (j + 1 < qualified.length() && qualified.charAt(j + 1) == '"') {
                            b.append('"');
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    b.append(qualified.charAt(j++));
                }
                i = j + 1;
            }
            if (i >= qualified.length() || qualified.charAt(i) == '.') {
                parts.add(b.toString());
                b.setLength(0);
                i++;
                continue;
            }
            b.append(qualified.charAt(i++));
        }
        if (parts.size() != 2 || parts.get(0).isEmpty() || parts.get(1).isEmpty()) {
            throw new IllegalArgumentException("'" + qualified + "' is not a qualified name schema.table");
        }
        return new TableId(parts.get(0), parts.get(1));
    }
}
