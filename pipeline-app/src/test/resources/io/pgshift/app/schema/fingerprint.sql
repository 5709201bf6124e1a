-- fingerprint.sql: a version-independent description of the schema objects of the current database (outside
-- pgshift's and the system's schemas), one line per object, to compare a PostgreSQL 13 source with a 16 target
-- where no single pg_dump can dump both.
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace
     WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pgshift') AND nspname NOT LIKE 'pg\_%'
)
SELECT line FROM (
    SELECT 'relation ' || ns.nspname || '.' || c.relname || ' ' || c.relkind::text || ' ' || c.relpersistence::text
           || coalesce(' partition ' || pg_get_expr(c.relpartbound, c.oid), '') AS line
      FROM pg_class c JOIN ns ON ns.oid = c.relnamespace WHERE c.relkind <> 't'
    UNION ALL
    SELECT 'column ' || ns.nspname || '.' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
           || CASE a.attidentity WHEN 'a' THEN ' identity always' WHEN 'd' THEN ' identity by default' ELSE '' END
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN ns ON ns.oid = c.relnamespace
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'c', 'f')
    UNION ALL
    SELECT 'constraint ' || ns.nspname || '.' || c.relname || '.' || co.conname || ' ' || pg_get_constraintdef(co.oid)
      FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN ns ON ns.oid = c.relnamespace
    UNION ALL
    SELECT 'domain constraint ' || ns.nspname || '.' || t.typname || '.' || co.conname || ' ' || pg_get_constraintdef(co.oid)
      FROM pg_constraint co JOIN pg_type t ON t.oid = co.contypid JOIN ns ON ns.oid = t.typnamespace
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN ns ON ns.oid = c.relnamespace
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ns ON ns.oid = c.relnamespace
     WHERE NOT t.tgisinternal
    UNION ALL
    -- PostgreSQL 16 leaves out table qualifiers that 13 writes: compare the definitions without any qualifier.
    SELECT 'view ' || ns.nspname || '.' || c.relname || ' '
           || regexp_replace(regexp_replace(pg_get_viewdef(c.oid), '\m\w+\.(\w)', '\1', 'g'), '\s+', ' ', 'g') FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
     WHERE c.relkind IN ('v', 'm')
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc) FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
     WHERE NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    UNION ALL
    SELECT 'type ' || ns.nspname || '.' || t.typname || ' ' || t.typtype::text
           || coalesce(' ' || (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '')
      FROM pg_type t JOIN ns ON ns.oid = t.typnamespace WHERE t.typtype IN ('e', 'd', 'c') AND t.typname NOT LIKE '\_%'
       AND NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')
       AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
    UNION ALL
    SELECT 'sequence ' || ns.nspname || '.' || c.relname || ' ' || s.seqstart || ' ' || s.seqincrement || ' ' || format_type(s.seqtypid, NULL)
           || coalesce(' owned by ' || (SELECT r.relname || '.' || a.attname FROM pg_depend d JOIN pg_class r ON r.oid = d.refobjid
                 JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')), '')
      FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN ns ON ns.oid = c.relnamespace
    UNION ALL
    SELECT 'comment ' || pg_describe_object(d.classoid, d.objoid, d.objsubid) || ' ' || d.description
      FROM pg_description d
     WHERE d.classoid IN ('pg_class'::regclass, 'pg_type'::regclass, 'pg_proc'::regclass, 'pg_namespace'::regclass)
       AND (pg_describe_object(d.classoid, d.objoid, d.objsubid) ~ '(sales|public)\.'
            OR d.classoid = 'pg_namespace'::regclass AND d.objoid IN (SELECT oid FROM ns))
    UNION ALL
    SELECT 'extension ' || extname FROM pg_extension
) all_objects
ORDER BY line;
