package io.pgshift.sink;

/** The applier's watermark statements (pgshift.apply_progress); the data statements are built by {@link WriteShape}. */
final class SqlStatements {

    private SqlStatements() {
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
