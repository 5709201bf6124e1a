-- dump-exclusions.sql: every table of the current database, and every sequence a table's column owns
-- (serial), with the top-level table it belongs to, so that pgshift can tell pg_dump exactly what to
-- leave out of the schema: whatever belongs to a top-level table that is not selected (partitions follow
-- their partitioned table at any depth, sequences their table).
-- Parameters: none. Columns: schema_name, table_name, root_schema, root_name.
-- Runnable in psql as it is.
WITH RECURSIVE rels AS (
    SELECT c.oid, n.nspname, c.relname, c.relispartition
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'f')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgshift')
       AND n.nspname NOT LIKE 'pg\_toast%'
       AND n.nspname NOT LIKE 'pg\_temp%'
), tree(oid, root) AS (
    SELECT oid, oid FROM rels WHERE NOT relispartition
    UNION ALL
    SELECT r.oid, t.root
      FROM tree t
      JOIN pg_inherits i ON i.inhparent = t.oid
      JOIN rels r ON r.oid = i.inhrelid AND r.relispartition
)
SELECT r.nspname AS schema_name, r.relname AS table_name, root.nspname AS root_schema, root.relname AS root_name
  FROM tree t
  JOIN rels r ON r.oid = t.oid
  JOIN rels root ON root.oid = t.root
UNION ALL
SELECT sn.nspname, s.relname, root.nspname, root.relname
  FROM tree t
  JOIN rels root ON root.oid = t.root
  JOIN pg_depend d ON d.refobjid = t.oid AND d.refclassid = 'pg_class'::regclass AND d.classid = 'pg_class'::regclass AND d.deptype = 'a'
  JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
  JOIN pg_namespace sn ON sn.oid = s.relnamespace
 ORDER BY 1, 2;
