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
--   relations    a JSON object of the tables in "tables" that still exist, quoted name to pg_class oid: a renamed table is known by its oid
--   published    a JSON array of the tables the command created that the capture added to the publication (a new table matching the
--                selection joins the migration: every row written to it from its creation on is in the stream)
ALTER TABLE pgshift.ddl ADD COLUMN IF NOT EXISTS relations text NOT NULL DEFAULT '{}';
ALTER TABLE pgshift.ddl ADD COLUMN IF NOT EXISTS published text NOT NULL DEFAULT '[]';
-- What a new table must match to join (SourceSetup writes it): the publication, and the selection's include and exclude patterns as
-- LIKE patterns over schema.table (pgshift's '*' is '%', and '%', '_', '\' are escaped).
CREATE TABLE IF NOT EXISTS pgshift.capture_settings (
    publication text   NOT NULL,
    include     text[] NOT NULL,
    exclude     text[] NOT NULL
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
    rels    jsonb := '{}';
    toid    oid;
    joined  text[] := '{}';
    settings record;
    nt      record;
BEGIN
    IF pg_catalog.current_setting('pgshift.capturing', true) = 'on' THEN
        RETURN; -- a command this function itself runs (adding a new table to the publication)
    END IF;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    -- The n-th DDL command of this query string in this transaction: every command that fires this trigger counts, recorded or not
    -- (CREATE INDEX IF NOT EXISTS of an index that exists fires it with nothing done), as DdlStatements counts the string's statements.
    query := current_query();
    key := md5(query);
    IF current_setting('pgshift.ddl_query', true) IS DISTINCT FROM key THEN
        PERFORM set_config('pgshift.ddl_query', key, true);
        n := 1;
    ELSE
        n := current_setting('pgshift.ddl_ordinal')::int + 1;
    END IF;
    PERFORM set_config('pgshift.ddl_ordinal', n::text, true);
    IF tg_tag LIKE '%PUBLICATION%' OR tg_tag LIKE '%SUBSCRIPTION%' THEN
        -- logical replication's own objects (pgshift's publication among them), which the target must not get
        PERFORM set_config('pgshift.dropped_tables', '', true);
        PERFORM set_config('pgshift.dropped_objects', '', true);
        PERFORM set_config('search_path', caller, true);
        RETURN;
    END IF;
    tables := coalesce(nullif(current_setting('pgshift.dropped_tables', true), '')::text[], '{}');
    objects := coalesce(nullif(current_setting('pgshift.dropped_objects', true), '')::text[], '{}');
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
            -- The table the object belongs to (an index's table); a partition stands for its root, whose changes carry its rows.
            tbl := NULL;
            SELECT format('%I.%I', tn.nspname, t.relname), t.oid INTO tbl, toid
              FROM pg_class c
              LEFT JOIN pg_index i ON i.indexrelid = c.oid
              JOIN pg_class p ON p.oid = coalesce(i.indrelid, c.oid)
              JOIN pg_class t ON t.oid = CASE WHEN p.relispartition THEN pg_partition_root(p.oid) ELSE p.oid END
              JOIN pg_namespace tn ON tn.oid = t.relnamespace
             WHERE c.oid = rel AND t.relkind IN ('r', 'p');
            IF tbl IS NOT NULL AND NOT tbl = ANY (tables) THEN
                tables := tables || tbl;
                rels := rels || jsonb_build_object(tbl, toid::bigint);
            END IF;
            -- A table this command created (CREATE TABLE, CREATE TABLE AS, SELECT INTO), not a partition (it joins through its root).
            IF r.classid = 'pg_class'::regclass AND r.command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO') THEN
                SELECT cl.oid, cl.relkind, cl.relpersistence, cl.relispartition, cl.relreplident, ns.nspname, cl.relname,
                       EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = cl.oid AND (x.indisprimary OR x.indisreplident)) AS keyed
                  INTO nt FROM pg_class cl JOIN pg_namespace ns ON ns.oid = cl.relnamespace WHERE cl.oid = r.objid;
                IF nt.relispartition THEN
                    NULL;
                ELSIF nt.relkind IN ('r', 'p') AND nt.relpersistence = 'p' THEN
                    SELECT * INTO settings FROM pgshift.capture_settings LIMIT 1;
                    -- A table joins with a replica identity: in a publication that publishes updates and deletes, a table without one
                    -- would make the application's UPDATE and DELETE fail. A plain table created without a key (a key often follows in
                    -- the next statement) gets REPLICA IDENTITY FULL, as 'pgshift check --fix-replica-identity' sets it: its updates and
                    -- deletes then log the whole old row. A partitioned table without a key does not join.
                    -- CREATE TABLE AS and SELECT INTO wrote their rows before this point: they do not join (the change is held).
                    IF settings IS NOT NULL AND r.command_tag = 'CREATE TABLE' AND (nt.keyed OR nt.relreplident = 'f' OR nt.relkind = 'r')
                       AND EXISTS (SELECT 1 FROM unnest(settings.include) p WHERE nt.nspname || '.' || nt.relname LIKE p)
                       AND NOT EXISTS (SELECT 1 FROM unnest(settings.exclude) p WHERE nt.nspname || '.' || nt.relname LIKE p) THEN
                        BEGIN
                            PERFORM set_config('pgshift.capturing', 'on', true);
                            IF NOT nt.keyed AND nt.relreplident <> 'f' THEN
                                EXECUTE format('ALTER TABLE %I.%I REPLICA IDENTITY FULL', nt.nspname, nt.relname);
                            END IF;
                            EXECUTE format('ALTER PUBLICATION %I ADD TABLE %I.%I', settings.publication, nt.nspname, nt.relname);
                            PERFORM set_config('pgshift.capturing', 'off', true);
                            joined := joined || format('%I.%I', nt.nspname, nt.relname);
                        EXCEPTION WHEN OTHERS THEN
                            RAISE WARNING 'pgshift could not add the new table %.% to its publication: %', nt.nspname, nt.relname, SQLERRM;
                        END;
                    END IF;
                END IF;
            END IF;
        END IF;
    END LOOP;
    IF own AND array_length(objects, 1) IS NULL
       OR seen = 0 AND array_length(objects, 1) IS NULL THEN
        -- pgshift's own objects or an extension's, or no object at all
        PERFORM set_config('search_path', caller, true);
        RETURN;
    END IF;
    INSERT INTO pgshift.ddl (command, ordinal, tag, search_path, tables, objects, relations, published)
    VALUES (query, n, tg_tag, caller, to_json(tables)::text, to_json(objects)::text, rels::text, to_json(joined)::text);
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
