-- session-text-format.sql: the settings under which pgshift reads and writes values as text, so that
-- the same value prints (and parses) the same on every server. Run inside a transaction (SET LOCAL).
-- Parameters: none.
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, MDY';
SET LOCAL IntervalStyle = 'postgres';
SET LOCAL extra_float_digits = 1;
SET LOCAL bytea_output = 'hex';
SET LOCAL lc_monetary = 'C';
-- Row-level security never filters pgshift's reads or writes silently: with row_security off, a query that
-- a policy would filter fails instead ("query would be affected by row-level security policy"), as in
-- pg_dump. The migration role needs BYPASSRLS (or to be a superuser, or the owner of a table without
-- FORCE ROW LEVEL SECURITY) for such tables; 'pgshift check' says so.
SET LOCAL row_security = off;
