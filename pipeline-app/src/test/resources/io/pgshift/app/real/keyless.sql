-- Tables the change stream cannot carry exactly: keyless with values read by key; without columns (Debezium skips their changes).
CREATE TABLE kl (a int, t timetz, m money);
ALTER TABLE kl REPLICA IDENTITY FULL;
INSERT INTO kl VALUES (1, '10:00+02', 1.5), (2, '11:00-03', 2);
CREATE TABLE nocols ();
ALTER TABLE nocols REPLICA IDENTITY FULL;
INSERT INTO nocols SELECT FROM generate_series(1, 5);
CREATE TABLE other (id int PRIMARY KEY, v text);
INSERT INTO other SELECT g, 'o' || g FROM generate_series(1, 100) g;
