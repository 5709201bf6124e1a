package io.pgshift.app.config;

import java.util.function.Consumer;

/**
 * One configuration key, declared once: its path, type, default, documentation and validator. The
 * loader, the reference documentation and the example file all come from these declarations.
 *
 * @param path         dotted path; {@code databases[].source} for keys of list items
 * @param type         the value's type
 * @param defaultValue the default as written in YAML, or {@code null} when the key is required or optional without default
 * @param required     whether the key must be present
 * @param doc          what the key means, for the reference
 * @param example      an example value, for the reference and the example file
 * @param validator    checks a present value (after defaults); throws IllegalArgumentException with what is valid
 */
public record ConfigKey(String path, Type type, String defaultValue, boolean required, String doc, String example,
                        Consumer<Object> validator) {

    public enum Type { STRING, INT, SECRET, STRING_LIST, STRING_MAP, OBJECT, OBJECT_LIST }

    public static ConfigKey required(String path, Type type, String doc, String example, Consumer<Object> validator) {
        return new ConfigKey(path, type, null, true, doc, example, validator);
    }

    public static ConfigKey optional(String path, Type type, String defaultValue, String doc, String example, Consumer<Object> validator) {
        return new ConfigKey(path, type, defaultValue, false, doc, example, validator);
    }

    public static ConfigKey section(String path, Type type, String doc) {
        return new ConfigKey(path, type, null, false, doc, null, v -> { });
    }

    /** The parent path, or "" at the top. */
    public String parent() {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? "" : path.substring(0, dot);
    }

    public String leaf() {
        return path.substring(path.lastIndexOf('.') + 1);
    }
}
