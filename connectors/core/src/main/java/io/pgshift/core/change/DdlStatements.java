package io.pgshift.core.change;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The statements of a query string, as PostgreSQL's lexer separates them (src/backend/parser/scan.l): a ';' ends a statement except
 * inside a quoted string ('...', with '' inside; E'...', with backslash escapes too), a quoted identifier ("..."), a dollar-quoted
 * string ($$...$$, $tag$...$tag$), a line comment (-- ...) or a block comment (nested /* ... *&#47;). Used to find the one DDL command a
 * captured query string stands for when it holds several statements ({@link ChangeEvent#DDL_ORDINAL}).
 */
public final class DdlStatements {

    /** First words of the commands that fire PostgreSQL's ddl_command_end event (the event trigger matrix, "Event Trigger Firing Matrix"). */
    private static final Set<String> DDL_WORDS = Set.of("CREATE", "ALTER", "DROP", "COMMENT", "GRANT", "REVOKE", "SECURITY", "IMPORT", "REFRESH",
            "SELECT");

    private DdlStatements() {
    }

    /** The statements of the string, each without its ';' and trimmed; empty ones are left out. */
    public static List<String> split(String sql) {
        List<String> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '\'') {
                boolean escapes = i > 0 && (sql.charAt(i - 1) == 'E' || sql.charAt(i - 1) == 'e') && (i < 2 || !isIdentChar(sql.charAt(i - 2)));
                i = endOfQuoted(sql, i, '\'', escapes);
            }
            else if (c == '"') {
                i = endOfQuoted(sql, i, '"', false);
            }
            else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                int eol = sql.indexOf('\n', i);
                i = eol < 0 ? n : eol + 1;
            }
            else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int depth = 1;
                i += 2;
                while (i < n && depth > 0) {
                    if (sql.startsWith("/*", i)) {
                        depth++;
                        i += 2;
                    }
                    else if (sql.startsWith("*/", i)) {
                        depth--;
                        i += 2;
                    }
                    else {
                        i++;
                    }
                }
            }
            else if (c == '$' && (i == 0 || !isIdentChar(sql.charAt(i - 1)))) {
                int close = sql.indexOf('$', i + 1);
                String tag = close < 0 ? null : sql.substring(i, close + 1);
                if (tag != null && tag.substring(1, tag.length() - 1).chars().allMatch(ch -> Character.isLetterOrDigit(ch) || ch == '_')
                        && (tag.length() == 2 || !Character.isDigit(tag.charAt(1)))) {
                    int end = sql.indexOf(tag, close + 1);
                    i = end < 0 ? n : end + tag.length();
                }
                else {
                    i++;
                }
            }
            else if (c == ';') {
                add(out, sql.substring(start, i));
                i++;
                start = i;
            }
            else {
                i++;
            }
        }
        add(out, sql.substring(start));
        return out;
    }

    /**
     * The statement of the {@code ordinal}-th DDL command of the query string (from 1): the string itself when it holds one statement;
     * otherwise the ordinal-th of its statements that start as DDL commands do. Empty when that cannot be told (fewer such statements).
     */
    public static Optional<String> statement(String command, int ordinal) {
        List<String> all = split(command);
        if (all.size() == 1) {
            return Optional.of(all.get(0));
        }
        List<String> ddl = all.stream().filter(DdlStatements::firesDdlTrigger).toList();
        return ordinal >= 1 && ordinal <= ddl.size() ? Optional.of(ddl.get(ordinal - 1)) : Optional.empty();
    }

    /**
     * Whether the statement is itself the command of this tag (ALTER TABLE ..., CREATE UNIQUE INDEX ...), rather than something that ran
     * it (a DO block, a function call): its first word is the tag's, and the tag's last word comes within its first words.
     */
    public static boolean isCommand(String statement, String tag) {
        String[] tagWords = tag.toUpperCase(Locale.ROOT).split("\\s+");
        if (!firstWord(statement).equals(tagWords[0])) {
            return false;
        }
        if (tagWords.length == 1) {
            return true;
        }
        String[] words = statement.strip().toUpperCase(Locale.ROOT).split("\\s+", 8);
        for (int i = 1; i < Math.min(words.length, 7); i++) {
            if (words[i].equals(tagWords[tagWords.length - 1])) {
                return true;
            }
        }
        return false;
    }

    /** Objects shared by the whole cluster: commands on them fire no event trigger (PostgreSQL: "Event Trigger Firing Matrix"). */
    private static final Set<String> GLOBAL_KINDS = Set.of("DATABASE", "ROLE", "USER", "GROUP", "TABLESPACE", "EVENT", "SYSTEM");
    private static final java.util.regex.Pattern INTO = java.util.regex.Pattern.compile("\\bINTO\\b", java.util.regex.Pattern.CASE_INSENSITIVE);

    /**
     * Whether running this statement fires ddl_command_end, as pgshift's capture counts the commands of a query string: a DDL command,
     * but not one on a cluster-wide object (a database, role or tablespace, an event trigger, ALTER SYSTEM), not a role GRANT, and of
     * SELECTs only SELECT ... INTO.
     */
    static boolean firesDdlTrigger(String statement) {
        String first = firstWord(statement);
        if (!DDL_WORDS.contains(first)) {
            return false;
        }
        String[] words = afterComments(statement).toUpperCase(Locale.ROOT).split("[\\s(]+", 12);
        String kind = words.length > 1 ? words[1] : "";
        switch (first) {
            case "SELECT":
                return INTO.matcher(statement).find();
            case "CREATE", "ALTER", "DROP":
                if ("OR".equals(kind) && words.length > 3) {
                    kind = words[3]; // CREATE OR REPLACE <kind>
                }
                return !GLOBAL_KINDS.contains(kind);
            case "COMMENT", "SECURITY", "GRANT", "REVOKE":
                for (int i = 1; i < words.length - 1; i++) {
                    if (words[i].equals("ON")) {
                        return !GLOBAL_KINDS.contains(words[i + 1]);
                    }
                }
                return false; // GRANT role TO role: no object of a database
            default:
                return true;
        }
    }

    private static String afterComments(String statement) {
        String s = statement;
        while (true) {
            s = s.stripLeading();
            if (s.startsWith("--")) {
                int eol = s.indexOf('\n');
                s = eol < 0 ? "" : s.substring(eol + 1);
            }
            else if (s.startsWith("/*")) {
                int end = s.indexOf("*/");
                s = end < 0 ? "" : s.substring(end + 2);
            }
            else {
                return s;
            }
        }
    }

    /** The first word of a statement after comments, upper-cased. */
    static String firstWord(String statement) {
        String s = afterComments(statement);
        int end = 0;
        while (end < s.length() && Character.isLetter(s.charAt(end))) {
            end++;
        }
        return s.substring(0, end).toUpperCase(Locale.ROOT);
    }

    private static int endOfQuoted(String sql, int open, char quote, boolean backslashEscapes) {
        int i = open + 1;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (backslashEscapes && c == '\\') {
                i += 2;
                continue;
            }
            if (c == quote) {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == quote) {
                    i += 2; // doubled quote inside
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return sql.length();
    }

    private static boolean isIdentChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    private static void add(List<String> out, String statement) {
        String s = statement.strip();
        if (!s.isEmpty() && !firstWord(s).isEmpty() || !s.isEmpty() && !s.startsWith("--") && !s.startsWith("/*")) {
            out.add(s);
        }
    }
}
