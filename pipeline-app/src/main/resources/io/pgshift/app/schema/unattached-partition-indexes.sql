-- unattached-partition-indexes.sql: indexes of partitions that are not attached to an index of their parent, with the
-- constraint each backs (if any) and the partition tree's root table. A post-data section run with several jobs that
-- failed part way can leave these: pg_dump gives a partition's index no DROP of its own (dropping the parent's index drops
-- it once attached), so pg_restore --clean would not remove them, and building them again would fail.
-- Parameters: none. Columns: root_schema, root_name, schema_name, table_name, index_name, constraint_name (or NULL).
-- Runnable in psql as it is (PostgreSQL 12 and later).
SELECT rn.nspname AS root_schema, r.relname AS root_name, n.nspname AS schema_name, c.relname AS table_name,
       ic.relname AS index_name, co.conname AS constraint_name
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class c ON c.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_class r ON r.oid = pg_partition_root(c.oid)
  JOIN pg_namespace rn ON rn.oid = r.relnamespace
  LEFT JOIN pg_constraint co ON co.conindid = ic.oid AND co.conrelid = c.oid AND co.contype IN ('p', 'u', 'x')
 WHERE c.relispartition
   AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = ic.oid)
 ORDER BY 1, 2, 3, 4, 5;
