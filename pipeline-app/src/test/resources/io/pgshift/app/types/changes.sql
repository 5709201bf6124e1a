-- Streams every value of schema.sql again: each family table gets a copy of its rows (inserts),
-- the copies then take each other's values (updates), one copy is deleted, and one snapshot row changes
-- its key. Tables are found by their first column, the integer key.
DO $$
DECLARE
  t record;
  keycol text;
  others text;
  others_s text;
  n int;
BEGIN
  FOR t IN SELECT c.oid::regclass AS rel FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
            WHERE c.relkind = 'r' AND s.nspname NOT IN ('pg_catalog', 'information_schema', 'pgshift', 'pg_toast') ORDER BY 1::text
  LOOP
    SELECT quote_ident(attname) INTO keycol FROM pg_attribute WHERE attrelid = t.rel AND attnum = 1;
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum), string_agg('s.' || quote_ident(attname), ', ' ORDER BY attnum)
      INTO others, others_s FROM pg_attribute WHERE attrelid = t.rel AND attnum > 1 AND NOT attisdropped AND attgenerated = '';
    EXECUTE format('SELECT count(*) FROM %s', t.rel) INTO n;
    EXECUTE format('INSERT INTO %s (%s, %s) SELECT %s + 1000, %s FROM %s', t.rel, keycol, others, keycol, others, t.rel);
    IF others IS NOT NULL AND n > 1 THEN
      -- each copy takes the values of the next original row (rotating), then one copy is set all-NULL-or-original again
      EXECUTE format('UPDATE %1$s AS d SET (%2$s) = (SELECT %3$s FROM %1$s AS s WHERE s.%4$s = (d.%4$s - 1000) %% %5$s + 1) WHERE d.%4$s > 1000',
                     t.rel, others, others_s, keycol, n);
      EXECUTE format('UPDATE %1$s AS d SET (%2$s) = (SELECT %3$s FROM %1$s AS s WHERE s.%4$s = 1) WHERE d.%4$s = 1002', t.rel, others, others_s, keycol);
    END IF;
    EXECUTE format('DELETE FROM %s WHERE %s = 1001', t.rel, keycol);
    -- a key change of a snapshot row
    EXECUTE format('UPDATE %s SET %s = 2000 WHERE %s = 2', t.rel, keycol, keycol);
  END LOOP;
END $$;
-- TOASTed values left unchanged by an update, and moved by a key change
UPDATE t_text SET v = 'changed' WHERE id = 7;
UPDATE t_text SET id = 3000 WHERE id = 1006;
UPDATE t_bytea SET id = 3000 WHERE id = 1004;
