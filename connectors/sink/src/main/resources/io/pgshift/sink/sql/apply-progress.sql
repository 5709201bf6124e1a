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
-- Schema changes the applier holds (SchemaChangeHolds): a change pgshift does not carry, one the target refused, or a change record
-- whose columns the target table lacks (a schema change that was not captured; then id is negative, derived from the table and the
-- columns). While a row here has no resolution, the partitions of its tables wait at it and the cutover refuses; 'pgshift ddl
-- apply|skip' resolves it (apply and skip also write pgshift.ddl_applied), 'pgshift ddl retry' deletes it so that the applier tries
-- again. tables is empty for a change of no table (a function, a view): it holds nothing, only the cutover.
CREATE TABLE IF NOT EXISTS pgshift.ddl_held (
    id          bigint      PRIMARY KEY,
    tag         text        NOT NULL,
    statement   text        NOT NULL,
    search_path text,
    tables      text[]      NOT NULL,
    reason      text        NOT NULL,
    held_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    resolution  text        CHECK (resolution IN ('apply', 'skip')),
    resolved_by text,
    resolved_at timestamptz
);
-- The partitions that reached a schema change: it is applied once every partition it was published to has reached it (a barrier
-- across the partitions of a key-partitioned table and across the tables it touches).
CREATE TABLE IF NOT EXISTS pgshift.ddl_arrivals (
    id              bigint  NOT NULL,
    topic           text    NOT NULL,
    kafka_partition integer NOT NULL,
    arrived_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (id, topic, kafka_partition)
);
