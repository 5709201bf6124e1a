-- tables.sql: the ordinary and partitioned tables of the current database that a migration could
-- move, with their keys, their replica identity, and whether every relation that receives their writes
-- can be published without making the source's own UPDATE and DELETE fail.
-- Parameters: none. Leaves out system schemas, pgshift's own schema, partitions (their parent is
-- listed; changes to partitions are published under the parent), and unlogged tables (logical
-- replication cannot carry them).
-- Columns: schema_name, table_name, relkind ('r' table, 'p' partitioned), replica_identity
--   ('d' default, 'f' full, 'i' index, 'n' nothing), key_columns (text[] of the primary key, in key
--   order; empty when there is none, and when it is DEFERRABLE: such a key is neither a replica identity
--   nor an ON CONFLICT arbiter, and two rows may share it inside a transaction), identity_index_columns (text[] of the REPLICA IDENTITY USING INDEX
--   index, in index order; empty when there is none, also when that index was dropped), estimated_rows
--   (the planner's reltuples; for a partitioned table the sum over its direct partitions; -1 when a table
--   with data was never analyzed, so nobody knows), identity_problems (text[]: one entry per relation
--   that receives this table's writes and has no replica identity pgshift can use, "<relation>\t<reason>",
--   the relation always double-quoted and schema-qualified; REPLICA IDENTITY FULL on it is the fix).
-- The rule is PostgreSQL's own (src/backend/utils/cache/relcache.c, RelationGetIndexList, and
-- src/backend/executor/execReplication.c, CheckCmdReplicaIdentity): an UPDATE or DELETE of a published
-- relation fails unless that relation (the leaf partition for a partitioned table) is REPLICA IDENTITY
-- FULL, or DEFAULT with a primary key, or USING INDEX, where the index must be valid, unique, immediate
-- (not DEFERRABLE) and without a predicate. pgshift also needs the old row to carry the table's key
-- (a primary key that is not DEFERRABLE, else the identity index): a leaf that identifies its rows by
-- other columns, or any leaf of a table without such a key, must be REPLICA IDENTITY FULL.
-- Runnable in psql as it is.
WITH RECURSIVE roots AS (
    SELECT c.oid, n.nspname, c.relname, c.relkind, c.relreplident, c.reltuples, c.relpages
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p')
       AND NOT c.relispartition
       AND c.relpersistence = 'p'
       AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgshift')
       AND n.nspname NOT LIKE 'pg\_toast%'
       AND n.nspname NOT LIKE 'pg\_temp%'
), tree(root, relid) AS (
    SELECT oid, oid FROM roots
    UNION ALL
    SELECT t.root, h.inhrelid
      FROM tree t
      JOIN pg_inherits h ON h.inhparent = t.relid
      JOIN pg_class p ON p.oid = t.relid AND p.relkind = 'p'
), usable_index AS (
    -- the indexes PostgreSQL may use as a replica identity, with their columns
    SELECT i.indrelid, i.indisprimary, i.indisreplident,
           (SELECT array_agg(a.attname ORDER BY k.ord)
              FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS columns
      FROM pg_index i
      JOIN pg_class ic ON ic.oid = i.indrelid
     WHERE i.indisunique AND i.indimmediate AND i.indpred IS NULL AND i.indexprs IS NULL
       AND (i.indisvalid OR ic.relkind = 'p')
), root_key AS (
    -- the key pgshift finds rows by: a primary key that is not DEFERRABLE, else the replica identity index
    SELECT r.oid AS root,
           coalesce((SELECT u.columns FROM usable_index u WHERE u.indrelid = r.oid AND u.indisprimary),
                    CASE WHEN r.relreplident = 'i'
                         THEN (SELECT u.columns FROM usable_index u WHERE u.indrelid = r.oid AND u.indisreplident) END) AS columns
      FROM roots r
), leaf AS (
    SELECT t.root, l.oid, '"' || replace(ln.nspname, '"', '""') || '"."' || replace(l.relname, '"', '""') || '"' AS name, l.relreplident,
           CASE l.relreplident
                WHEN 'd' THEN (SELECT u.columns FROM usable_index u WHERE u.indrelid = l.oid AND u.indisprimary)
                WHEN 'i' THEN (SELECT u.columns FROM usable_index u WHERE u.indrelid = l.oid AND u.indisreplident)
           END AS identity_columns
      FROM tree t
      JOIN pg_class l ON l.oid = t.relid AND l.relkind = 'r'
      JOIN pg_namespace ln ON ln.oid = l.relnamespace
), leaf_problem AS (
    SELECT l.root, l.name,
           CASE WHEN l.relreplident = 'f' THEN NULL
                WHEN l.relreplident = 'n' THEN 'REPLICA IDENTITY NOTHING: its UPDATE and DELETE would fail once published'
                WHEN l.identity_columns IS NULL AND l.relreplident = 'd' AND EXISTS (
                         SELECT FROM pg_index i WHERE i.indrelid = l.oid AND i.indisprimary AND NOT i.indimmediate)
                     THEN 'its primary key is DEFERRABLE, which PostgreSQL never uses as a replica identity: its UPDATE and DELETE'
                          || ' would fail once published'
                WHEN l.identity_columns IS NULL AND l.relreplident = 'd'
                     THEN 'no primary key and REPLICA IDENTITY DEFAULT: its UPDATE and DELETE would fail once published'
                WHEN l.identity_columns IS NULL
                     THEN 'REPLICA IDENTITY USING INDEX of an index PostgreSQL cannot use (dropped, invalid, DEFERRABLE or partial):'
                          || ' its UPDATE and DELETE would fail once published'
                WHEN k.columns IS NULL
                     THEN 'the table has no key pgshift can find rows by (a primary key on the table itself, or REPLICA IDENTITY FULL on'
                          || ' every relation that receives its writes), and this relation''s changes carry only its replica identity ('
                          || array_to_string(l.identity_columns, ', ') || '), not the whole old row'
                WHEN NOT l.identity_columns @> k.columns
                     THEN 'its replica identity (' || array_to_string(l.identity_columns, ', ') || ') does not include the table''s key ('
                          || array_to_string(k.columns, ', ') || '), so its changes would not carry the key'
           END AS problem
      FROM leaf l
      JOIN root_key k ON k.root = l.root
)
SELECT r.nspname                                   AS schema_name,
       r.relname                                   AS table_name,
       r.relkind::text                             AS relkind,
       r.relreplident::text                        AS replica_identity,
       coalesce((SELECT array_agg(a.attname ORDER BY k.ord)
                   FROM pg_index i
                   CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                  WHERE i.indrelid = r.oid AND i.indisprimary AND i.indimmediate),
                '{}'::name[])::text[]              AS key_columns,
       coalesce((SELECT array_agg(a.attname ORDER BY k.ord)
                   FROM pg_index i
                   CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                  WHERE i.indrelid = r.oid AND i.indisreplident),
                '{}'::name[])::text[]              AS identity_index_columns,
       CASE WHEN r.relkind = 'p'
            THEN coalesce((SELECT sum(greatest(pc.reltuples, 0)) FROM pg_inherits h JOIN pg_class pc ON pc.oid = h.inhrelid
                            WHERE h.inhparent = r.oid), 0)::bigint
            WHEN r.reltuples > 0 OR r.relpages = 0 AND pg_relation_size(r.oid) = 0 THEN greatest(r.reltuples, 0)::bigint
            ELSE -1 END                            AS estimated_rows,
       coalesce((SELECT array_agg(p.name || E'\t' || p.problem ORDER BY p.name) FROM leaf_problem p
                  WHERE p.root = r.oid AND p.problem IS NOT NULL), '{}') AS identity_problems
  FROM roots r
 ORDER BY 1, 2;
