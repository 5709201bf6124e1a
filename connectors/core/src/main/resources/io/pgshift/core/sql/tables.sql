-- tables.sql: the ordinary and partitioned tables of the current database that a migration could
-- move, with their primary-key columns in key order, their replica identity and its index.
-- Parameters: none. Leaves out system schemas, pgshift's own schema, partitions (their parent is
-- listed; changes to partitions are published under the parent), and unlogged tables (logical
-- replication cannot carry them).
-- Columns: schema_name, table_name, relkind ('r' table, 'p' partitioned), replica_identity
--   ('d' default, 'f' full, 'i' index, 'n' nothing), key_columns (text[], empty when no primary key),
--   identity_index_columns (text[] of the REPLICA IDENTITY USING INDEX index, in index order; empty
--   when there is none, also when that index was dropped), estimated_rows (the planner's reltuples;
--   for a partitioned table the sum over its direct partitions; -1 when a table with data was never
--   analyzed, so nobody knows).
-- Runnable in psql as it is.
SELECT n.nspname                                   AS schema_name,
       c.relname                                   AS table_name,
       c.relkind::text                             AS relkind,
       c.relreplident::text                        AS replica_identity,
       coalesce((SELECT array_agg(a.attname ORDER BY k.ord)
                   FROM pg_index i
                   CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                  WHERE i.indrelid = c.oid AND i.indisprimary),
                '{}'::name[])::text[]              AS key_columns,
       coalesce((SELECT array_agg(a.attname ORDER BY k.ord)
                   FROM pg_index i
                   CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                  WHERE i.indrelid = c.oid AND i.indisreplident),
                '{}'::name[])::text[]              AS identity_index_columns,
       CASE WHEN c.relkind = 'p'
            THEN coalesce((SELECT sum(greatest(pc.reltuples, 0)) FROM pg_inherits h JOIN pg_class pc ON pc.oid = h.inhrelid
                            WHERE h.inhparent = c.oid), 0)::bigint
            WHEN c.reltuples > 0 OR c.relpages = 0 AND pg_relation_size(c.oid) = 0 THEN greatest(c.reltuples, 0)::bigint
            ELSE -1 END                            AS estimated_rows
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p')
   AND NOT c.relispartition
   AND c.relpersistence = 'p'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgshift')
   AND n.nspname NOT LIKE 'pg\_toast%'
   AND n.nspname NOT LIKE 'pg\_temp%'
 ORDER BY 1, 2;
