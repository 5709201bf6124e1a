-- Rows far above Jackson's 20 MB string limit, within the 63 MB a change record may hold.
CREATE TABLE big (id int PRIMARY KEY, t text, b bytea);
INSERT INTO big VALUES (1, 'small', '\x00');
INSERT INTO big VALUES (10, repeat('y', 20 * 1048576), decode(repeat('ab', 10 * 1048576), 'hex'));  -- a 40 MB row in the load
