package io.pgshift.sink;

import java.util.List;
import java.util.stream.Collectors;

import io.pgshift.core.Identifiers;

/** The statements the applier runs, built from quoted identifiers only. */
final class SqlStatements {

    private SqlStatements() {
    }

    static String upsert(TargetTable table, List<String> columns) {
        String cols = columns.stream().map(Identifiers::quote).collect(Collectors.joining(", "));
        String params = columns.stream().map(c -> "?").collect(Collectors.joining(", "));
        String keys = table.keyColumns().stream().map(Identifiers::quote).collect(Collectors.joining(", "));
        List<String> nonKey = columns.stream().filter(c -> !table.keyColumns().contains(c)).collect(Collectors.toList());
        String action = nonKey.isEmpty() ? "DO NOTHING"
                : "DO UPDATE SET " + nonKey.stream().map(c -> Identifiers.quote(c) + " = EXCLUDED." + Identifiers.quote(c)).collect(Collectors.joining(", "));
        return "INSERT INTO " + table.id().quoted() + " (" + cols + ") OVERRIDING SYSTEM VALUE VALUES (" + params + ") ON CONFLICT (" + keys + ") " + action;
    }

    static String update(TargetTable table, List<String> setColumns, List<String> keyColumns) {
        return "UPDATE " + table.id().quoted() + " SET "
                + setColumns.stream().map(c -> Identifiers.quote(c) + " = ?").collect(Collectors.joining(", "))
                + " WHERE " + keyPredicate(keyColumns);
    }

    static String delete(TargetTable table, List<String> keyColumns) {
        return "DELETE FROM " + table.id().quoted() + " WHERE " + keyPredicate(keyColumns);
    }

    static String truncate(TargetTable table) {
        return "TRUNCATE TABLE " + table.id().quoted();
    }

    private static String keyPredicate(List<String> keyColumns) {
        return keyColumns.stream().map(c -> Identifiers.quote(c) + " = ?").collect(Collectors.joining(" AND "));
    }

    static final String WATERMARK = "INSERT INTO pgshift.apply_progress AS p (topic, kafka_partition, next_offset, source_commit_lsn, source_lsn, source_step,"
            + " records_applied, updated_at) VALUES (?, ?, ?, ?::pg_lsn, ?::pg_lsn, ?, ?, clock_timestamp())"
            + " ON CONFLICT (topic, kafka_partition) DO UPDATE SET next_offset = EXCLUDED.next_offset,"
            + " source_commit_lsn = coalesce(EXCLUDED.source_commit_lsn, p.source_commit_lsn),"
            + " source_step = CASE WHEN EXCLUDED.source_lsn IS NULL THEN p.source_step ELSE EXCLUDED.source_step END,"
            + " source_lsn = coalesce(EXCLUDED.source_lsn, p.source_lsn),"
            + " records_applied = p.records_applied + EXCLUDED.records_applied, updated_at = EXCLUDED.updated_at";

    static final String READ_WATERMARKS = "SELECT topic, kafka_partition, next_offset, source_commit_lsn::text, source_lsn::text, source_step"
            + " FROM pgshift.apply_progress WHERE topic = ANY (?)";
}
