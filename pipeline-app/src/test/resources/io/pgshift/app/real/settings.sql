-- Values whose text form depends on the session's output settings.
CREATE TABLE shown (id int PRIMARY KEY, i interval, d date, t timestamp, tz timestamptz, f8 float8, f4 float4, b bytea, ia interval[], n numeric);
INSERT INTO shown VALUES (1, '1 year 2 mons 3 days 04:05:06.789', '2024-02-29', '2024-02-29 13:14:15.5', '2024-02-29 13:14:15.5+05:30',
                          0.1, 0.1, '\xdeadbeef', '{1 day,-2 hours}', 1.5);
