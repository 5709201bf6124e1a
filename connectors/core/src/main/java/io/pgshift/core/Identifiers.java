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
}
