package io.pgshift.core;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Which tables a migration covers: {@code schema.table} patterns where {@code *} matches any run of
 * characters. A table is selected when an include pattern matches it and no exclude pattern does.
 * pgshift's own schema is never selected.
 */
public final class TableSelection {

    public static final String PGSHIFT_SCHEMA = "pgshift";

    private final List<String> include;
    private final List<String> exclude;
    private final List<Pattern> includePatterns;
    private final List<Pattern> excludePatterns;

    public TableSelection(List<String> include, List<String> exclude) {
        this.include = List.copyOf(include);
        this.exclude = List.copyOf(exclude);
        this.includePatterns = this.include.stream().map(TableSelection::compile).collect(Collectors.toList());
        this.excludePatterns = this.exclude.stream().map(TableSelection::compile).collect(Collectors.toList());
    }

    public static TableSelection all() {
        return new TableSelection(List.of("*.*"), List.of());
    }

    /** Validates a pattern: {@code schema.table}, either part may use {@code *}. */
    public static void validatePattern(String pattern) {
        compile(pattern);
    }

    private static Pattern compile(String pattern) {
        if (pattern == null || pattern.isBlank() || !pattern.contains(".") || pattern.startsWith(".") || pattern.endsWith(".")) {
            throw new IllegalArgumentException("'" + pattern + "' is not a table pattern: write schema.table, where either part may use *"
                    + " (for example public.* or *.orders)");
        }
        StringBuilder regex = new StringBuilder();
        for (String literal : pattern.split("\\*", -1)) {
            if (regex.length() > 0) {
                regex.append(".*");
            }
            regex.append(Pattern.quote(literal));
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }

    public boolean matches(TableId table) {
        if (PGSHIFT_SCHEMA.equals(table.schema())) {
            return false;
        }
        String name = table.schema() + "." + table.table();
        return includePatterns.stream().anyMatch(p -> p.matcher(name).matches())
                && excludePatterns.stream().noneMatch(p -> p.matcher(name).matches());
    }

    public List<String> include() {
        return include;
    }

    public List<String> exclude() {
        return exclude;
    }

    @Override
    public String toString() {
        return "include " + include + (exclude.isEmpty() ? "" : ", exclude " + exclude);
    }
}
