-- table-checksum.sql: row count and an md5 over every row of one table, in a fixed order, so that
-- two servers holding the same rows print the same pair.
-- Parameters (substituted by TableComparator, each quoted with format('%I')-style quoting):
--   {table}    the schema-qualified, quoted table name, after ONLY for a plain table (its inheritance
--              children are tables of their own, compared on their own)
--   {row}      the row's text: ROW(t."a", t."b", ...)::text, the columns named in the source's order, so
--              a target whose columns stand in another order compares equal when its values do
--   {order_by} the primary-key columns, each as ("col")::text COLLATE "C"; or the whole row as
--              ({row}) COLLATE "C" when the table has no primary key
-- Each row contributes its text form, which is what the applications will read back.
SELECT count(*)                                            AS row_count,
       coalesce(md5(string_agg({row}, E'\n' ORDER BY {order_by})), md5('')) AS checksum
  FROM {table} AS t;
