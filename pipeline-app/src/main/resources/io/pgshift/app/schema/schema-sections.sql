-- schema-sections.sql: pgshift's record, in each target database, of the schema sections it applied
-- (or found already there), so that running the schema step again is safe and says what it finds.
-- Runnable in psql as it is; idempotent.
CREATE SCHEMA IF NOT EXISTS pgshift;
CREATE TABLE IF NOT EXISTS pgshift.schema_sections (
    source_database text        NOT NULL,
    section         text        NOT NULL CHECK (section IN ('pre-data', 'post-data')),
    outcome         text        NOT NULL CHECK (outcome IN ('applied', 'found')),
    done_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_database, section)
);
