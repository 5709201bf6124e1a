package io.pgshift.sink;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.pgshift.core.Identifiers;
import io.pgshift.core.change.ChangeEvent;
import io.pgshift.core.change.ChangeOp;

/**
 * What a write to the target looks like: consecutive records of one shape go to the target together
 * ({@link TableWrite}). Values are bound as untyped text and parsed by the target's input functions.
 *
 * @param table      the target table
 * @param kind       the statement
 * @param columns    the columns written (generated columns and columns an update left untouched excluded)
 * @param keyColumns the columns that find the row: the primary key, or every column when the table has none
 */
record WriteShape(TargetTable table, Kind kind, List<String> columns, List<String> keyColumns) {

    enum Kind {
        /** Snapshot rows: COPY. */
        COPY,
        /** A row image of a table with a primary key: INSERT ... ON CONFLICT DO UPDATE. */
        UPSERT,
        /**
         * A row image of a table with a primary key and a rule on UPDATE or INSERT, where PostgreSQL refuses ON CONFLICT (whether the
         * rule is enabled or not: src/backend/rewrite/rewriteHandler.c): UPDATE of the row, then INSERT when there was none.
         */
        UPDATE_OR_INSERT,
        /** An update that left TOASTed columns untouched: UPDATE of the columns it carries. */
        UPDATE,
        DELETE,
        TRUNCATE,
        /** A row of a table without a primary key. */
        INSERT,
        /** An update of a table without a primary key (REPLICA IDENTITY FULL): one row matching every old value. */
        UPDATE_MATCHING,
        /** A delete from a table without a primary key: one row matching every old value. */
        DELETE_MATCHING;

        boolean matchesAllColumns() {
            return this == UPDATE_MATCHING || this == DELETE_MATCHING;
        }

        /** Whether the statement finds an existing row (its parameters end with the key). */
        boolean findsRow() {
            return this == UPDATE || this == UPDATE_OR_INSERT || this == DELETE || matchesAllColumns();
        }
    }

    static WriteShape of(TargetTable table, ChangeEvent event) {
        ChangeOp op = event.op();
        boolean keyed = !table.keyColumns().isEmpty();
        if (op == ChangeOp.TRUNCATE) {
            return new WriteShape(table, Kind.TRUNCATE, List.of(), List.of());
        }
        if (op == ChangeOp.DELETE) {
            return keyed ? new WriteShape(table, Kind.DELETE, List.of(), table.keyColumns())
                    : new WriteShape(table, Kind.DELETE_MATCHING, List.of(), matchColumns(table, event));
        }
        List<String> columns = new ArrayList<>();
        boolean untouched = false;
        for (Map.Entry<String, String> e : event.after().entrySet()) {
            String column = e.getKey();
            if (!table.hasColumn(column)) {
                throw new ApplyException("Target table " + table.id() + " has no column \"" + column + "\", which the source sends."
                        + " Add the column to the target table (or copy the schema again), then restart pgshift.", null);
            }
            if (table.isGenerated(column)) {
                continue; // the target computes it
            }
            if (ChangeEvent.isUnchanged(e.getValue())) {
                untouched = true;
                continue;
            }
            columns.add(column);
        }
        if (op == ChangeOp.READ) {
            // Snapshot rows need no key: the target tables may not have their keys and indexes yet (post-data comes after the load).
            return new WriteShape(table, Kind.COPY, columns, table.keyColumns());
        }
        if (!keyed) {
            if (op == ChangeOp.UPDATE) {
                return new WriteShape(table, Kind.UPDATE_MATCHING, columns, matchColumns(table, event));
            }
            return new WriteShape(table, Kind.INSERT, columns, List.of());
        }
        if (untouched) {
            return new WriteShape(table, Kind.UPDATE, columns, table.keyColumns());
        }
        return new WriteShape(table, table.writeRules() ? Kind.UPDATE_OR_INSERT : Kind.UPSERT, columns, table.keyColumns());
    }

    /** The old row's columns that identify it: every column the record's old image carries exactly. */
    private static List<String> matchColumns(TargetTable table, ChangeEvent event) {
        if (event.key().isEmpty()) {
            throw new ApplyException("Table " + table.id() + " has no primary key, and the change carries no old row to find the row by."
                    + " Give the source table a primary key, or set REPLICA IDENTITY FULL on it, then restart the migration.", null);
        }
        List<String> columns = new ArrayList<>();
        for (Map.Entry<String, String> e : event.key().entrySet()) {
            String value = e.getValue();
            if (table.hasColumn(e.getKey()) && !table.isGenerated(e.getKey()) && !ChangeEvent.isUnchanged(value) && !ChangeEvent.isFromSource(value)) {
                columns.add(e.getKey());
            }
        }
        return columns;
    }

    /** The text to write: Debezium sends bit(1) as a boolean. */
    String valueFor(String column, String text) {
        if (text != null && text.length() == 1) {
            TargetColumn c = table.column(column);
            if (c != null && "bit".equals(c.baseType())) {
                return "t".equals(text) ? "1" : "f".equals(text) ? "0" : text;
            }
        }
        return text;
    }

    private String columnList() {
        return columns.stream().map(Identifiers::quote).collect(Collectors.joining(", "));
    }

    String copySql() {
        return "COPY " + table.id().quoted() + " (" + columnList() + ") FROM STDIN";
    }

    String upsertSql(int rows) {
        String row = columns.stream().map(c -> "?").collect(Collectors.joining(", ", "(", ")"));
        String values = String.join(", ", java.util.Collections.nCopies(rows, row));
        List<String> nonKey = columns.stream().filter(c -> !keyColumns.contains(c)).collect(Collectors.toList());
        String action = nonKey.isEmpty() ? "DO NOTHING"
                : "DO UPDATE SET " + nonKey.stream().map(c -> Identifiers.quote(c) + " = EXCLUDED." + Identifiers.quote(c)).collect(Collectors.joining(", "));
        return "INSERT INTO " + table.id().quoted() + " (" + columnList() + ") OVERRIDING SYSTEM VALUE VALUES " + values
                + " ON CONFLICT (" + keyColumns.stream().map(Identifiers::quote).collect(Collectors.joining(", ")) + ") " + action;
    }

    String deleteSql(int rows) {
        String key = keyColumns.stream().map(Identifiers::quote).collect(Collectors.joining(", ", "(", ")"));
        String row = keyColumns.stream().map(c -> "?").collect(Collectors.joining(", ", "(", ")"));
        return "DELETE FROM " + table.onlyQuoted() + " WHERE " + key + " IN (" + String.join(", ", java.util.Collections.nCopies(rows, row)) + ")";
    }

    /** The statement for one record, parameters: the written columns, then the key (twice per column when matching all columns). */
    String singleRowSql() {
        String t = table.id().quoted();
        String only = table.onlyQuoted();
        return switch (kind) {
            case COPY, INSERT -> insertSql();
            case UPSERT -> upsertSql(1);
            case UPDATE, UPDATE_OR_INSERT -> updateSql();
            case DELETE -> "DELETE FROM " + only + " WHERE " + keyPredicate();
            case UPDATE_MATCHING -> "UPDATE " + only + " SET " + assignments() + " WHERE " + matchedRow(only);
            case DELETE_MATCHING -> "DELETE FROM " + only + " WHERE " + matchedRow(only);
            case TRUNCATE -> "TRUNCATE TABLE " + only;
        };
    }

    /**
     * The first row whose every old value matches, by its ctid (a TID scan). A ctid names a row only within one relation, and the
     * partitions of a partitioned table each have their own, so there the row is found by (tableoid, ctid).
     */
    private String matchedRow(String only) {
        String lookup = " FROM " + only + " AS m WHERE " + matchPredicate() + " LIMIT 1)";
        return table.partitioned() ? "(tableoid, ctid) = (SELECT m.tableoid, m.ctid" + lookup : "ctid = (SELECT m.ctid" + lookup;
    }

    /**
     * UPDATE of the row by its key, parameters the written columns then the key; for {@link Kind#UPDATE_OR_INSERT} every column is
     * set, the key too, so it finds the row even when it changes nothing, and {@link #insertSql} follows when it found none.
     */
    String updateSql() {
        return "UPDATE " + table.onlyQuoted() + " SET " + assignments() + " WHERE " + keyPredicate();
    }

    /** INSERT of one row, parameters the written columns; identity columns take the source's value. */
    String insertSql() {
        return "INSERT INTO " + table.id().quoted() + " (" + columnList() + ") OVERRIDING SYSTEM VALUE VALUES ("
                + columns.stream().map(c -> "?").collect(Collectors.joining(", ")) + ")";
    }

    private String assignments() {
        return columns.stream().map(c -> Identifiers.quote(c) + " = ?").collect(Collectors.joining(", "));
    }

    private String keyPredicate() {
        return keyColumns.stream().map(c -> Identifiers.quote(c) + " = ?").collect(Collectors.joining(" AND "));
    }

    /**
     * Every old value, compared as the target prints it, so types without an equality operator (json,
     * point) match too; NULL matches NULL.
     */
    private String matchPredicate() {
        return keyColumns.stream().map(c -> {
            String type = table.column(c).typeName();
            return "((CAST(? AS " + type + ") IS NULL AND m." + Identifiers.quote(c) + " IS NULL) OR (m." + Identifiers.quote(c)
                    + ")::text = (CAST(? AS " + type + "))::text)";
        }).collect(Collectors.joining(" AND "));
    }
}
