-- post-data-objects.sql: the names of the indexes, constraints (other than NOT NULL) and triggers of the
-- tables of the current database, with their table, as the post-data section of a schema dump creates
-- them. pgshift compares the source's with the target's to tell whether post-data is already in.
-- Parameters: none. Columns: schema_name, table_name, kind ('index', 'constraint', 'foreign key', 'trigger'), name.
-- Runnable in psql as it is.
SELECT n.nspname AS schema_name, c.relname AS table_name, 'index' AS kind, ic.relname AS name
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class c ON c.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgshift') AND n.nspname NOT LIKE 'pg\_%'
UNION ALL
SELECT n.nspname, c.relname, CASE co.contype WHEN 'f' THEN 'foreign key' ELSE 'constraint' END, co.conname
  FROM pg_constraint co
  JOIN pg_class c ON c.oid = co.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE co.contype IN ('p', 'u', 'f', 'x')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgshift') AND n.nspname NOT LIKE 'pg\_%'
UNION ALL
SELECT n.nspname, c.relname, 'trigger', t.tgname
  FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT t.tgisinternal
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgshift') AND n.nspname NOT LIKE 'pg\_%'
 ORDER BY 1, 2, 3, 4;
