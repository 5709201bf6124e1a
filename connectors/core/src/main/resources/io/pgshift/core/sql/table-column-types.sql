-- table-column-types.sql: the columns of some tables with the type each resolves to after its domains;
-- a table without columns has one row with a null column_name.
-- Parameters (JDBC): a text[] of tables, each schema-qualified and quoted as regclass input ("schema"."table").
-- Columns: relation (the table as given), column_name, type_name (format_type), base_oid (bigint: the type
--   a domain resolves to, recursively; an array, also of a domain, is its own: what Debezium calls the
--   column's native type), base_type (pg_type.typname), base_kind (pg_type.typtype), is_array (typcategory
--   'A'), generated ('' or 's').
-- Runnable in psql with ? replaced by ARRAY['"public"."t"'].
WITH RECURSIVE rel AS (
    SELECT t AS relation, to_regclass(t)::oid AS oid FROM unnest(?::text[]) AS t WHERE to_regclass(t) IS NOT NULL
), cols AS (
    SELECT r.relation, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attgenerated
      FROM rel r
      JOIN pg_attribute a ON a.attrelid = r.oid
     WHERE a.attnum > 0 AND NOT a.attisdropped
), base(relation, attnum, typid) AS (
    SELECT relation, attnum, atttypid FROM cols
    UNION ALL
    SELECT b.relation, b.attnum, t.typbasetype FROM base b JOIN pg_type t ON t.oid = b.typid WHERE t.typtype = 'd'
)
SELECT r.relation,
       c.attname                            AS column_name,
       format_type(c.atttypid, c.atttypmod) AS type_name,
       bt.oid::bigint                       AS base_oid,
       bt.typname                           AS base_type,
       bt.typtype::text                     AS base_kind,
       (bt.typcategory = 'A')               AS is_array,
       c.attgenerated::text                 AS generated
  FROM rel r
  LEFT JOIN (cols c
             JOIN base b ON b.relation = c.relation AND b.attnum = c.attnum
             JOIN pg_type bt ON bt.oid = b.typid AND bt.typtype <> 'd') ON c.relation = r.relation
 ORDER BY r.relation, c.attnum;
