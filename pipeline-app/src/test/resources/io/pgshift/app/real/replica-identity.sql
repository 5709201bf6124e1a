-- Relations that PostgreSQL refuses to UPDATE or DELETE once published, unless their replica identity is fixed where it looks.
CREATE TABLE b (id int PRIMARY KEY DEFERRABLE INITIALLY IMMEDIATE, v text);         -- a DEFERRABLE key is never a replica identity
INSERT INTO b SELECT g, 'b' || g FROM generate_series(1, 30) g;
CREATE TABLE p (id int, at date, v text) PARTITION BY RANGE (at);                   -- keyless root; partitions mostly keyed
CREATE TABLE p1 PARTITION OF p (PRIMARY KEY (id)) FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE p2 PARTITION OF p FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
INSERT INTO p SELECT g, date '2020-01-01' + g * 20, 'p' || g FROM generate_series(1, 30) g;
CREATE TABLE q (id int NOT NULL, at date NOT NULL, v text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);  -- keyed root, sub-partitions
CREATE TABLE q1 PARTITION OF q FOR VALUES FROM ('2020-01-01') TO ('2021-01-01') PARTITION BY LIST (id);
CREATE TABLE q1a PARTITION OF q1 FOR VALUES IN (1, 2, 3, 4, 5);
CREATE TABLE q1b PARTITION OF q1 DEFAULT;
CREATE TABLE q2 PARTITION OF q FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
ALTER TABLE q2 REPLICA IDENTITY NOTHING;                                            -- one leaf that refuses
INSERT INTO q SELECT g, date '2020-01-01' + g * 20, 'q' || g FROM generate_series(1, 30) g;
CREATE TABLE di (id int NOT NULL, v text);                                          -- its identity index was dropped
CREATE UNIQUE INDEX di_id ON di (id);
ALTER TABLE di REPLICA IDENTITY USING INDEX di_id;
DROP INDEX di_id;
INSERT INTO di SELECT g, 'di' || g FROM generate_series(1, 30) g;
CREATE TABLE ri (id int NOT NULL, v text);                                          -- an immediate unique index is one
CREATE UNIQUE INDEX ri_id ON ri (id);
ALTER TABLE ri REPLICA IDENTITY USING INDEX ri_id;
INSERT INTO ri SELECT g, 'ri' || g FROM generate_series(1, 30) g;
CREATE TABLE vparent (id int PRIMARY KEY, v text);                                  -- its child is not selected: it is not published
CREATE TABLE vchild (extra int) INHERITS (vparent);
INSERT INTO vparent SELECT g, 'vp' || g FROM generate_series(1, 30) g;
INSERT INTO vchild SELECT g, 'vc' || g, g FROM generate_series(1, 30) g;
