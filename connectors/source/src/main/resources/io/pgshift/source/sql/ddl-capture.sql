-- ddl-capture.sql: pgshift's capture of schema changes in a source database (issue 20). Idempotent. Needs a superuser
-- (CREATE EVENT TRIGGER, PostgreSQL 13: "only superusers can create event triggers").
-- (JSON text rather than arrays: every column of pgshift.ddl is of a type Debezium carries exactly.)
-- pgshift.ddl: one row per DDL command, written by the event triggers below in the command's own transaction, so that, once the
-- table is in the publication, the row travels through the replication stream at the command's place among the data changes.
--   command      the whole query string the client sent (current_query()); with several statements in it, ordinal says which
--   ordinal      this command's place among the DDL commands of that query string in this transaction, from 1
--   tag          the command tag (ALTER TABLE, CREATE INDEX, ALTER TYPE, DROP TABLE, ...)
--   search_path  the session's search_path, to apply the command with the same name resolution
--   tables       a JSON array of the tables the command changes, as quoted "schema"."table" (as named once it ran: a renamed table by its new
--                name; a dropped table by its name), empty for objects of no table (a type, a domain, a dropped index)
--   objects      a JSON array of pg_event_trigger_ddl_commands().object_identity of every object the command made or changed, and the identities
--                of the dropped ones
CREATE SCHEMA IF NOT EXISTS pgshift;
CREATE TABLE IF NOT EXISTS pgshift.ddl (
    id          bigserial   PRIMARY KEY,
    command     text        NOT NULL,
    ordinal     int         NOT NULL,
    tag         text        NOT NULL,
    search_path text        NOT NULL,
    tables      text        NOT NULL,
    objects     text        NOT NULL,
    xid         bigint      NOT NULL DEFAULT txid_current(),
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Never harm the source: both functions run with their owner's rights (a superuser's: the application's role needs no grant on
-- pgshift.ddl); before anything else they set a search_path of pg_catalog only for their own statements (their first statement is
-- schema-qualified, so the caller's search_path cannot redirect it) and set the caller's back after; and a failure of theirs is a
-- WARNING, never an error of the application's DDL command.
-- sql_drop runs before ddl_command_end of the same command: it notes the dropped tables and objects in transaction-local settings.
CREATE OR REPLACE FUNCTION pgshift.note_dropped() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE
    caller  text := pg_catalog.current_setting('search_path');
    r       record;
    tables  text[];
    objects text[];
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    tables := coalesce(nullif(current_setting('pgshift.dropped_tables', true), '')::text[], '{}');
    objects := coalesce(nullif(current_setting('pgshift.dropped_objects', true), '')::text[], '{}');
    FOR r IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
        IF r.schema_name = 'pgshift' OR r.schema_name LIKE 'pg\_%' OR r.schema_name = 'information_schema' OR NOT r.original THEN
            CONTINUE; -- pgshift's or the system's; or dropped with its owner (an index with its table), which is named already
        END IF;
        objects := objects || r.object_identity;
        IF r.object_type IN ('table', 'table column', 'table constraint', 'trigger', 'rule', 'policy')
           AND array_length(r.address_names, 1) >= 2 THEN
            tables := tables || format('%I.%I', r.address_names[1], r.address_names[2]);
        END IF;
    END LOOP;
    PERFORM set_config('pgshift.dropped_tables', tables::text, true);
    PERFORM set_config('pgshift.dropped_objects', objects::text, true);
    PERFORM set_config('search_path', caller, true);
EXCEPTION WHEN OTHERS THEN
    -- The block's changes, the search_path included, are rolled back with it.
    RAISE WARNING 'pgshift could not note the objects this command drops: %', SQLERRM;
END
$fn$;

CREATE OR REPLACE FUNCTION pgshift.capture_ddl() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE
    caller  text := pg_catalog.current_setting('search_path');
    r       record;
    rel     oid;
    tbl     text;
    tables  text[];
    objects text[];
    own     boolean := false;
    seen    int := 0;
    query   text;
    key     text;
    n       int;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    IF tg_tag LIKE '%PUBLICATION%' OR tg_tag LIKE '%SUBSCRIPTION%' THEN
        -- logical replication's own objects (pgshift's publication among them), which the target must not get
        PERFORM set_config('pgshift.dropped_tables', '', true);
        PERFORM set_config('pgshift.dropped_objects', '', true);
        PERFORM set_config('search_path', caller, true);
        RETURN;
    END IF;
    tables := coalesce(nullif(current_setting('pgshift.dropped_tables', true), '')::text[], '{}');
    objects := coalesce(nullif(current_setting('pgshift.dropped_objects', true), '')::text[], '{}');
    query := current_query();
    key := md5(query);
    PERFORM set_config('pgshift.dropped_tables', '', true);
    PERFORM set_config('pgshift.dropped_objects', '', true);
    FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
        seen := seen + 1;
        IF r.in_extension OR r.schema_name = 'pgshift' THEN
            own := true;
            CONTINUE;
        END IF;
        objects := objects || coalesce(r.object_identity, '');
        rel := CASE
            WHEN r.classid = 'pg_class'::regclass THEN r.objid
            WHEN r.classid = 'pg_constraint'::regclass THEN (SELECT conrelid FROM pg_constraint WHERE oid = r.objid)
            WHEN r.classid = 'pg_trigger'::regclass THEN (SELECT tgrelid FROM pg_trigger WHERE oid = r.objid)
            WHEN r.classid = 'pg_rewrite'::regclass THEN (SELECT ev_class FROM pg_rewrite WHERE oid = r.objid)
            WHEN r.classid = 'pg_attrdef'::regclass THEN (SELECT adrelid FROM pg_attrdef WHERE oid = r.objid)
            ELSE NULL END;
        IF rel IS NOT NULL AND rel <> 0 THEN
            tbl := NULL;
            SELECT format('%I.%I', tn.nspname, t.relname) INTO tbl
              FROM pg_class c
              LEFT JOIN pg_index i ON i.indexrelid = c.oid
              JOIN pg_class t ON t.oid = coalesce(i.indrelid, c.oid)
              JOIN pg_namespace tn ON tn.oid = t.relnamespace
             WHERE c.oid = rel AND t.relkind IN ('r', 'p');
            IF tbl IS NOT NULL AND NOT tbl = ANY (tables) THEN
                tables := tables || tbl;
            END IF;
        END IF;
    END LOOP;
    IF own AND array_length(objects, 1) IS NULL
       OR seen = 0 AND array_length(objects, 1) IS NULL THEN
        -- pgshift's own objects or an extension's, or no object at all
        PERFORM set_config('search_path', caller, true);
        RETURN;
    END IF;
    -- The n-th DDL command of this query string in this transaction.
    IF current_setting('pgshift.ddl_query', true) IS DISTINCT FROM key THEN
        PERFORM set_config('pgshift.ddl_query', key, true);
        n := 1;
    ELSE
        n := current_setting('pgshift.ddl_ordinal')::int + 1;
    END IF;
    PERFORM set_config('pgshift.ddl_ordinal', n::text, true);
    INSERT INTO pgshift.ddl (command, ordinal, tag, search_path, tables, objects) VALUES (query, n, tg_tag, caller, to_json(tables)::text, to_json(objects)::text);
    PERFORM set_config('search_path', caller, true);
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'pgshift could not record this schema change: %', SQLERRM;
END
$fn$;

DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'pgshift_note_dropped') THEN
        CREATE EVENT TRIGGER pgshift_note_dropped ON sql_drop EXECUTE FUNCTION pgshift.note_dropped();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'pgshift_capture_ddl') THEN
        CREATE EVENT TRIGGER pgshift_capture_ddl ON ddl_command_end EXECUTE FUNCTION pgshift.capture_ddl();
    END IF;
END
$do$;
