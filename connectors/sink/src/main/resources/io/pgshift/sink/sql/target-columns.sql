-- target-columns.sql: the columns of one target table and its primary key.
-- Parameters (JDBC, in order): schema name, table name (unquoted, as in the catalog);
-- in psql, replace the two ? with literals.
-- Columns: column_name, type_name (format_type), generated ('' or 's'), key_position (null when
-- the column is not in the primary key).
SELECT a.attname                                     AS column_name,
       format_type(a.atttypid, a.atttypmod)          AS type_name,
       a.attgenerated::text                          AS generated,
       (SELECT k.ord
          FROM pg_index i
          CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
         WHERE i.indrelid = c.oid AND i.indisprimary AND k.attnum = a.attnum) AS key_position
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid
 WHERE n.nspname = ? AND c.relname = ?
   AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum;
