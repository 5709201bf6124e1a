-- key-partitionable.sql: whether the changes of one table may be spread over its topic's partitions by key
-- (KeyPartitioner), that is whether applying each row's changes in source order, and rows in any order, gives
-- the source's result: the table is an ordinary table ('r'; a partitioned table's leaves may have unique
-- indexes of their own), has no unique index or exclusion constraint besides the one that keys its change
-- stream (two rows may swap a unique value, which only source order applies without a conflict), and every
-- key column's type, after domains, prints one way in every session (int2, int4, int8, uuid).
-- Parameters (JDBC, in order): the table (schema-qualified, quoted, as text), its key columns (text[]), whether
-- the key is the primary key (else the replica identity index), the type OIDs whose text is canonical (int[],
-- KeyPartitioner.PARTITIONABLE_TYPE_OIDS).
-- Columns: partitionable (boolean).
-- Runnable in psql with the parameters filled in.
WITH RECURSIVE params AS (
    SELECT ?::text::regclass AS rel, ?::text[] AS key_columns, ?::boolean AS by_primary_key, ?::int[]::oid[] AS hashable_types
), key_types(attname, typ) AS (
    SELECT a.attname, a.atttypid
      FROM pg_attribute a, params
     WHERE a.attrelid = params.rel AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = ANY (params.key_columns)
    UNION ALL
    SELECT k.attname, t.typbasetype
      FROM key_types k
      JOIN pg_type t ON t.oid = k.typ
     WHERE t.typtype = 'd'
)
SELECT c.relkind = 'r'
       AND NOT EXISTS (SELECT 1
                         FROM pg_index i
                        WHERE i.indrelid = c.oid
                          AND (i.indisunique OR i.indisexclusion)
                          AND NOT (CASE WHEN params.by_primary_key THEN i.indisprimary ELSE i.indisreplident END))
       AND (SELECT count(*)
              FROM key_types k
              JOIN pg_type t ON t.oid = k.typ
             WHERE t.typtype <> 'd' AND t.oid = ANY (params.hashable_types)) = cardinality(params.key_columns)
       AS partitionable
  FROM pg_class c, params
 WHERE c.oid = params.rel
