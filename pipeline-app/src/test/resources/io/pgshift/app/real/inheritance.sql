-- Table inheritance, every level selected: each table's changes touch only its own rows.
CREATE TABLE vehicle (id int PRIMARY KEY, name text);
CREATE TABLE car (wheels int) INHERITS (vehicle);
ALTER TABLE car ADD PRIMARY KEY (id);
CREATE TABLE truck (axles int) INHERITS (car);
ALTER TABLE truck ADD PRIMARY KEY (id);
CREATE TABLE bike () INHERITS (vehicle);
ALTER TABLE bike REPLICA IDENTITY FULL;
INSERT INTO vehicle SELECT g, 'v' || g FROM generate_series(1, 10) g;
INSERT INTO car SELECT g, 'c' || g, 4 FROM generate_series(1, 10) g;
INSERT INTO truck SELECT g, 't' || g, 6, 3 FROM generate_series(1, 10) g;
INSERT INTO bike SELECT g, 'b' || g FROM generate_series(1, 10) g;
CREATE TABLE c4 (extra2 text, name text, id int NOT NULL);                        -- its own column order differs from its parent's
ALTER TABLE c4 INHERIT vehicle;
ALTER TABLE c4 ADD PRIMARY KEY (id);
INSERT INTO c4 SELECT 'e' || g, 'c4-' || g, g FROM generate_series(1, 10) g;
