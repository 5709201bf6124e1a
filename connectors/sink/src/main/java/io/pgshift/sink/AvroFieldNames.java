package io.pgshift.sink;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Column names as a Debezium connector with {@code field.name.adjustment.mode=avro_unicode} writes them into Avro records, and back.
 * Avro allows {@code [A-Za-z_][A-Za-z0-9_]*} in a field name; Debezium then writes every other character, the underscore included,
 * as {@code _u} and its UTF-16 code unit in lower-case hexadecimal, padded to four digits only below 0x100
 * ({@code io.debezium.schema.FieldNameUnicodeReplacementFunction}). That encoding cannot be decoded alone ({@code _u3a9a} is U+3A9A,
 * or U+03A9 then "a"), so a field is mapped back through the target table's own column names: each column's encoded name is computed,
 * and a field that is not a column is the column whose encoding it is. Two columns of one table with the same encoding are refused
 * ({@link #collisions}).
 */
public final class AvroFieldNames {

    private AvroFieldNames() {
    }

    /** The name Debezium's avro_unicode field adjustment gives this column name. */
    public static String adjust(String name) {
        if (name.isEmpty()) {
            return name;
        }
        StringBuilder b = new StringBuilder(name.length() + 8);
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean letter = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
            boolean valid = i == 0 ? letter : letter || c >= '0' && c <= '9';
            if (valid) {
                b.append(c);
            }
            else {
                String hex = Integer.toHexString(c);
                b.append("_u").append(hex.length() <= 2 ? "00" + hex : hex);
            }
        }
        return b.toString();
    }

    /** Groups of these column names that share one adjusted name, by that name; empty when none. */
    public static Map<String, List<String>> collisions(List<String> columns) {
        Map<String, List<String>> by = new LinkedHashMap<>();
        for (String c : columns) {
            for (String form : new java.util.LinkedHashSet<>(List.of(adjust(c), adjust(asDecoded(c))))) {
                by.computeIfAbsent(form, k -> new java.util.ArrayList<>()).add(c);
            }
        }
        by.values().removeIf(l -> l.size() < 2);
        return by;
    }

    /**
     * Adjusted name → column, for the columns whose adjusted name differs from their own. Each column is entered twice: as its name, and
     * as Debezium's pgoutput decoder reads a non-ASCII name from a relation message (each UTF-8 byte as a sign-extended char, see
     * {@code DebeziumChangeParser.repairName}), which is the name the adjustment then encodes in streamed records.
     */
    public static Map<String, String> reverse(java.util.Collection<String> columns) {
        Map<String, String> out = new HashMap<>();
        for (String c : columns) {
            for (String form : List.of(c, asDecoded(c))) {
                String a = adjust(form);
                if (!a.equals(c)) {
                    out.put(a, c);
                }
            }
        }
        return out;
    }

    /** The name as Debezium's pgoutput decoder reads it: each byte of its UTF-8 form as a char, sign-extended. */
    static String asDecoded(String name) {
        byte[] bytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        StringBuilder b = new StringBuilder(bytes.length);
        for (byte x : bytes) {
            b.append((char) x);
        }
        return b.toString();
    }
}
