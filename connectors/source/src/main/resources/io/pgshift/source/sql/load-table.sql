-- load-table.sql: what the bulk load needs to know of one table, read inside the load's snapshot.
-- Parameters: 1 the table's quoted name (schema.table), as text.
-- Columns: relkind ('r' table, 'p' partitioned); columns (text[], the columns COPY moves: not dropped,
--   not generated, in attnum order); binary_safe (every column's type, and its element type for arrays,
--   is built in, so COPY's binary format means the same on every server version; user-defined types,
--   such as enums, composites and extension types, travel as text); table_bytes (heap and TOAST; a
--   partitioned table sums its leaf partitions); heap_blocks (of a plain table); int_key (the primary key's
--   column when it is a single smallint, integer or bigint column, else NULL).
-- Runnable in psql with the ? replaced by a quoted name.
SELECT c.relkind::text AS relkind,
       (SELECT coalesce(array_agg(a.attname ORDER BY a.attnum), '{}'::name[])
          FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '')::text[] AS columns,
       (SELECT coalesce(bool_and(a.atttypid < 16384 AND (t.typelem = 0 OR t.typelem < 16384)), true)
          FROM pg_attribute a
          JOIN pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '') AS binary_safe,
       CASE WHEN c.relkind = 'p'
            THEN (SELECT coalesce(sum(pg_table_size(p.relid)), 0) FROM pg_partition_tree(c.oid) p WHERE p.isleaf)
            ELSE pg_table_size(c.oid) END::bigint AS table_bytes,
       CASE WHEN c.relkind = 'r' THEN pg_relation_size(c.oid) / current_setting('block_size')::bigint ELSE 0 END AS heap_blocks,
       (SELECT a.attname::text
          FROM pg_index i
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
         WHERE i.indrelid = c.oid AND i.indisprimary AND i.indnatts = 1
           AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)) AS int_key
  FROM pg_class c
 WHERE c.oid = ?::regclass
