-- Tables for every change kind: related by foreign keys, without a primary key, partitioned, with a
-- generated column, with a trigger that writes another table.
CREATE TABLE parent (id int PRIMARY KEY, name text NOT NULL, big text);
CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parent ON UPDATE CASCADE, note text);
CREATE TABLE keyless (a int, b text, j json);
ALTER TABLE keyless REPLICA IDENTITY FULL;
CREATE TABLE measurement (id bigint, at date NOT NULL, v numeric, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE measurement_2020 PARTITION OF measurement FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE measurement_2021 PARTITION OF measurement FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
CREATE TABLE measurement_rest PARTITION OF measurement DEFAULT;
CREATE TABLE priced (id int PRIMARY KEY, qty int, price numeric(10,2), total numeric GENERATED ALWAYS AS (qty * price) STORED);
CREATE TABLE audited (id int PRIMARY KEY, v text);
CREATE TABLE audit_log (id bigserial PRIMARY KEY, audited_id int, v text);
CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO audit_log (audited_id, v) VALUES (NEW.id, NEW.v); RETURN NEW; END $$;
CREATE TRIGGER audit AFTER INSERT OR UPDATE ON audited FOR EACH ROW EXECUTE FUNCTION audit();

INSERT INTO parent SELECT g, 'parent ' || g, CASE WHEN g % 10 = 0 THEN repeat(md5(g::text), 4000) END FROM generate_series(1, 200) g;
INSERT INTO child SELECT g, 1 + g % 200, 'child ' || g FROM generate_series(1, 1000) g;
INSERT INTO keyless SELECT g % 50, 'row ' || (g % 50), ('{"g": ' || (g % 50) || ' }')::json FROM generate_series(1, 300) g;
INSERT INTO keyless VALUES (NULL, NULL, NULL), (NULL, NULL, NULL);
INSERT INTO measurement SELECT g, date '2020-01-01' + (g % 900), g / 7.0 FROM generate_series(1, 2000) g;
INSERT INTO priced SELECT g, g % 13, g * 1.25 FROM generate_series(1, 100) g;
INSERT INTO audited SELECT g, 'v' || g FROM generate_series(1, 50) g;
