-- Constraints that a source transaction may violate until its commit, or that make the order of its writes matter.
CREATE TABLE b (id int PRIMARY KEY DEFERRABLE INITIALLY IMMEDIATE, v text);
ALTER TABLE b REPLICA IDENTITY FULL;
INSERT INTO b SELECT g, 'b' || g FROM generate_series(1, 50) g;
CREATE TABLE swapd (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED, v text);
ALTER TABLE swapd REPLICA IDENTITY FULL;
INSERT INTO swapd SELECT g, 's' || g FROM generate_series(1, 40) g;
CREATE TABLE uq (id int PRIMARY KEY, email text UNIQUE, code int);
CREATE UNIQUE INDEX uq_code ON uq (code);
INSERT INTO uq SELECT g, 'e' || g, g FROM generate_series(1, 20) g;
CREATE TABLE ukd (id int PRIMARY KEY, slot int UNIQUE DEFERRABLE INITIALLY DEFERRED);
INSERT INTO ukd SELECT g, g FROM generate_series(1, 20) g;
CREATE TABLE ex (id int PRIMARY KEY, r int4range, EXCLUDE USING gist (r WITH &&));
INSERT INTO ex SELECT g, int4range(g * 10, g * 10 + 10) FROM generate_series(1, 10) g;
CREATE TABLE exd (id int PRIMARY KEY, r int4range, EXCLUDE USING gist (r WITH &&) DEFERRABLE INITIALLY DEFERRED);
INSERT INTO exd SELECT g, int4range(g * 10, g * 10 + 10) FROM generate_series(1, 10) g;
CREATE TABLE side (id int PRIMARY KEY, v text UNIQUE);                              -- the writer's own table
INSERT INTO side SELECT g, 'side' || g FROM generate_series(1, 20) g;
CREATE TABLE dd (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED, u int NOT NULL UNIQUE, v text);  -- a DEFERRABLE key, identified by another index
ALTER TABLE dd REPLICA IDENTITY USING INDEX dd_u_key;
INSERT INTO dd SELECT g, g, 'dd' || g FROM generate_series(1, 30) g;
