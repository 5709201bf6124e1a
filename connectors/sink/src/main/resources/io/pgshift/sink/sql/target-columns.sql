-- target-columns.sql: the columns of one target table and its primary key.
-- Parameters (JDBC, in order): schema name, table name (unquoted, as in the catalog);
-- in psql, replace the two ? with literals.
-- Columns: column_name, type_name (format_type), base_type (the type's name after resolving domains),
-- base_kind (pg_type.typtype of the base type: b base, e enum, c composite, r range, m multirange, p pseudo),
-- is_array (the base type is an array), generated ('' or 's'), key_position (the column's place in the
-- primary key, or when there is none in the REPLICA IDENTITY USING INDEX index; null otherwise), not_null.
WITH RECURSIVE cols AS (
    SELECT a.attnum, a.attname, a.atttypid, a.atttypmod, a.attgenerated, a.attnotnull, c.oid AS relid
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE n.nspname = ? AND c.relname = ?
       AND a.attnum > 0 AND NOT a.attisdropped
), base(attnum, typid) AS (
    SELECT attnum, atttypid FROM cols
    UNION ALL
    SELECT b.attnum, t.typbasetype FROM base b JOIN pg_type t ON t.oid = b.typid WHERE t.typtype = 'd'
)
SELECT c.attname                                   AS column_name,
       format_type(c.atttypid, c.atttypmod)        AS type_name,
       bt.typname                                  AS base_type,
       bt.typtype::text                            AS base_kind,
       (bt.typcategory = 'A')                      AS is_array,
       c.attgenerated::text                        AS generated,
       c.attnotnull                                AS not_null,
       (SELECT k.ord
          FROM pg_index i
          CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
         WHERE i.indrelid = c.relid AND k.attnum = c.attnum
           AND (i.indisprimary OR (i.indisreplident AND NOT EXISTS (
                    SELECT FROM pg_index p WHERE p.indrelid = c.relid AND p.indisprimary)))) AS key_position
  FROM cols c
  JOIN base b ON b.attnum = c.attnum
  JOIN pg_type bt ON bt.oid = b.typid AND bt.typtype <> 'd'
 ORDER BY c.attnum;
