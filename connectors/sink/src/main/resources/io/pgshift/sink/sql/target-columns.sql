-- target-columns.sql: the columns of one target table and the key the applier finds its rows by.
-- Parameters (JDBC, in order): schema name, table name (unquoted, as in the catalog);
-- in psql, replace the two ? with literals.
-- Columns: relkind ('r' table, 'p' partitioned), column_name (null, in the one row returned for a table
-- without columns), type_name (format_type), base_type (the type's name after resolving domains),
-- base_kind (pg_type.typtype of the base type: b base, e enum, c composite, r range, m multirange, p pseudo),
-- is_array (the base type is an array), generated ('' or 's'), identity ('' none, 'a' ALWAYS, 'd' BY DEFAULT),
-- key_position (the column's place in the key: the primary key, or when there is none the REPLICA
-- IDENTITY USING INDEX index; null otherwise), not_null, order_sensitive (the same in every row: whether
-- the table has a unique index or exclusion constraint besides that key, so that the order of its writes
-- matters: a source transaction may swap values that must stay unique), write_rules (the same in every row:
-- whether a rule on UPDATE or INSERT exists, enabled or not, which makes PostgreSQL refuse INSERT ... ON
-- CONFLICT: src/backend/rewrite/rewriteHandler.c).
-- The key is only an index that INSERT ... ON CONFLICT can use as its arbiter: valid, unique, immediate
-- (PostgreSQL refuses a DEFERRABLE constraint there: "ON CONFLICT does not support deferrable unique
-- constraints/exclusion constraints as arbiters", src/backend/optimizer/util/plancat.c) and without a
-- predicate. A table whose key is deferrable is applied like a table without a key (rows matched on every
-- column of the old row, which REPLICA IDENTITY FULL sends).
WITH RECURSIVE rel AS (
    SELECT c.oid, c.relkind
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ? AND c.relname = ?
), cols AS (
    SELECT a.attnum, a.attname, a.atttypid, a.atttypmod, a.attgenerated, a.attidentity, a.attnotnull, r.oid AS relid
      FROM rel r
      JOIN pg_attribute a ON a.attrelid = r.oid
     WHERE a.attnum > 0 AND NOT a.attisdropped
), base(attnum, typid) AS (
    SELECT attnum, atttypid FROM cols
    UNION ALL
    SELECT b.attnum, t.typbasetype FROM base b JOIN pg_type t ON t.oid = b.typid WHERE t.typtype = 'd'
), key_index AS (
    SELECT i.indexrelid, i.indrelid, i.indkey
      FROM rel r
      JOIN pg_index i ON i.indrelid = r.oid
     WHERE i.indisunique AND i.indimmediate AND i.indpred IS NULL AND i.indexprs IS NULL
       AND (i.indisvalid OR r.relkind = 'p')
       AND (i.indisprimary OR (i.indisreplident AND NOT EXISTS (
                SELECT FROM pg_index p WHERE p.indrelid = r.oid AND p.indisprimary AND p.indimmediate)))
     ORDER BY i.indisprimary DESC
     LIMIT 1
)
SELECT r.relkind::text                             AS relkind,
       EXISTS (SELECT FROM pg_index i WHERE i.indrelid = r.oid AND (i.indisunique OR i.indisexclusion)
                  AND i.indexrelid NOT IN (SELECT indexrelid FROM key_index)) AS order_sensitive,
       EXISTS (SELECT FROM pg_rewrite w WHERE w.ev_class = r.oid AND w.ev_type IN ('2', '3')) AS write_rules,
       c.attname                                   AS column_name,
       format_type(c.atttypid, c.atttypmod)        AS type_name,
       bt.typname                                  AS base_type,
       bt.typtype::text                            AS base_kind,
       (bt.typcategory = 'A')                      AS is_array,
       c.attgenerated::text                        AS generated,
       c.attidentity::text                         AS identity,
       c.attnotnull                                AS not_null,
       (SELECT k.ord
          FROM key_index i
          CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
         WHERE k.attnum = c.attnum)                AS key_position
  FROM rel r
  LEFT JOIN (cols c
             JOIN base b ON b.attnum = c.attnum
             JOIN pg_type bt ON bt.oid = b.typid AND bt.typtype <> 'd') ON c.relid = r.oid
 ORDER BY c.attnum;
