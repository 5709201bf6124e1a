-- source-setup.sql: pgshift's own objects in a source database. Idempotent.
-- Parameters: none. Needs CREATE on the database (or an existing schema pgshift).
-- pgshift.fence: a row inserted here travels through the replication stream like any change; when the
-- applier has applied it, everything committed before it on the source has been applied too. Written
-- every few seconds it is also the heartbeat that keeps an idle database's slot advancing.
CREATE SCHEMA IF NOT EXISTS pgshift;
CREATE TABLE IF NOT EXISTS pgshift.fence (
    id         bigserial   PRIMARY KEY,
    kind       text        NOT NULL DEFAULT 'fence',
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
