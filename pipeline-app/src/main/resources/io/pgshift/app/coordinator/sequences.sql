-- sequences.sql: every user sequence of a database, with the column that owns it (serial: OWNED BY, deptype 'a';
-- identity column: deptype 'i'), the column's type and the sequence's increment. Used on the source (what to copy)
-- and on the target (what to verify). pgshift's own schema and the system schemas are left out.
-- Parameters: none. PostgreSQL 10+ (pg_sequence).
SELECT n.nspname                     AS sequence_schema,
       c.relname                     AS sequence_name,
       s.seqincrement                AS increment,
       tn.nspname                    AS table_schema,
       t.relname                     AS table_name,
       a.attname                     AS column_name,
       a.atttypid::regtype::text     AS column_type,
       d.deptype = 'i'               AS is_identity
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_sequence s ON s.seqrelid = c.oid
  LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                       AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
  LEFT JOIN pg_class t ON t.oid = d.refobjid
  LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
  LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
 WHERE c.relkind = 'S'
   AND n.nspname <> 'pgshift' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
 ORDER BY 1, 2;
