-- apply-progress.sql: the applier's watermark table in a target database. Idempotent.
-- Parameters: none.
-- One row per Kafka topic partition applied into this database: the next offset to apply and the
-- source stream position of the last change applied. It is written in the same transaction as the
-- data, so after any crash the data and the watermark agree, and the applier resumes from here.
CREATE SCHEMA IF NOT EXISTS pgshift;
CREATE TABLE IF NOT EXISTS pgshift.apply_progress (
    topic              text        NOT NULL,
    kafka_partition    integer     NOT NULL,
    next_offset        bigint      NOT NULL,
    source_commit_lsn  pg_lsn,
    source_lsn         pg_lsn,
    source_step        smallint    NOT NULL DEFAULT 0,
    records_applied    bigint      NOT NULL DEFAULT 0,
    updated_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (topic, kafka_partition)
);
ALTER TABLE pgshift.apply_progress ADD COLUMN IF NOT EXISTS source_step smallint NOT NULL DEFAULT 0;
-- The schema changes of the source applied here (ChangeApplier.applyDdl), by their pgshift.ddl id on the source: written in the
-- transaction that applies one, so that it is applied once whichever partition reaches it first.
CREATE TABLE IF NOT EXISTS pgshift.ddl_applied (
    id         bigint      PRIMARY KEY,
    tag        text        NOT NULL,
    statement  text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
