-- chunk-checksum.sql: the row count and an order-independent checksum of the rows of one key range (a chunk) of one table, so that
-- two servers holding the same rows print the same pair, whatever order they read them in. Memory stays constant: an aggregate over
-- an index range scan (or a scan of the whole table for a table without a key), never a string of the rows nor a sort.
-- Each row's text (the columns named in the source's order) is hashed with md5; the two 64-bit halves of the hash are summed
-- separately (sum(bigint) is numeric in PostgreSQL, so it never overflows). Equal multisets of rows give equal sums; a changed,
-- missing or extra row changes both sums unless 128 bits of md5 collide.
-- Parameters (substituted by ChunkChecksums):
--   {table}  the schema-qualified, quoted table name, after ONLY for a plain table (inheritance children are tables of their own)
--   {row}    ROW(t."a", t."b", ...)::text, the columns in the source's order
--   {range}  the chunk's key range, as a predicate on t with bind parameters ("true" for the whole table)
SELECT count(*) AS row_count,
       coalesce(sum(('x' || substr(h.m, 1, 16))::bit(64)::bigint), 0)::text || '.'
           || coalesce(sum(('x' || substr(h.m, 17, 16))::bit(64)::bigint), 0)::text AS checksum
  FROM {table} AS t
       CROSS JOIN LATERAL (SELECT md5({row}) AS m) AS h
 WHERE {range};
