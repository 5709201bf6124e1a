-- session-text-format.sql: the settings under which pgshift reads and writes values as text, so that
-- the same value prints (and parses) the same on every server. Run inside a transaction (SET LOCAL).
-- Parameters: none.
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, MDY';
SET LOCAL IntervalStyle = 'postgres';
SET LOCAL extra_float_digits = 1;
SET LOCAL bytea_output = 'hex';
SET LOCAL lc_monetary = 'C';
