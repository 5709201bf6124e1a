-- column-types.sql: every type the columns of the database's tables use, as Debezium sees it, with the
-- type it resolves to. Debezium names a column's type by its root ("native") type OID: a domain resolves
-- to its base type, recursively; an array (also an array of a domain) is its own root.
-- Parameters: none. Runnable in psql as it is.
-- Columns: root_oid (oid as bigint), base_type (pg_type.typname), base_kind (pg_type.typtype),
--   is_array (typcategory 'A').
WITH RECURSIVE used AS (
    SELECT DISTINCT a.atttypid AS oid
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
     WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
), root(oid) AS (
    SELECT oid FROM used
    UNION
    SELECT t.typbasetype FROM root r JOIN pg_type t ON t.oid = r.oid WHERE t.typtype = 'd'
)
SELECT t.oid::bigint           AS root_oid,
       t.typname               AS base_type,
       t.typtype::text         AS base_kind,
       (t.typcategory = 'A')   AS is_array
  FROM root r
  JOIN pg_type t ON t.oid = r.oid AND t.typtype <> 'd';
