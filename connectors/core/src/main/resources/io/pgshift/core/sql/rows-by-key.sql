-- rows-by-key.sql: the md5 of the row's text for each of a list of keys (NULL where no row has the key), in the list's order, so
-- that the rows changed since a chunk was found equal can be compared one by one on both servers.
-- Parameters (substituted by ChunkChecksums):
--   {keys}   unnest(?::text[], ...) WITH ORDINALITY AS k(c1, ..., ord): one text array per key column, bound as parameters
--   {table}  the schema-qualified, quoted table name, after ONLY for a plain table
--   {row}    ROW(t."a", t."b", ...)::text, the columns in the source's order
--   {match}  t."a" = k.c1::type AND ...: the key columns, each compared with its value parsed by the column's type
--   {found}  t."a" IS NOT NULL for the first key column (key columns are NOT NULL, so NULL means no row has the key)
SELECT k.ord, CASE WHEN {found} THEN md5({row}) END AS row_md5
  FROM {keys}
       LEFT JOIN {table} AS t ON {match}
 ORDER BY k.ord;
