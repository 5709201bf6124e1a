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
