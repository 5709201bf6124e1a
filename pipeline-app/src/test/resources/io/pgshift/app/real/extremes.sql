-- The ends of every date/time range PostgreSQL accepts.
CREATE TABLE ts (id int PRIMARY KEY, t timestamp, tz timestamptz, d date, tm time, i interval);
INSERT INTO ts VALUES (1, now(), now(), current_date, '12:00', '1 day');
