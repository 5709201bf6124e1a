-- Nullable columns with defaults: a NULL written to them stays NULL.
CREATE TABLE acct (id int PRIMARY KEY, credit numeric(8,2) DEFAULT 250.00, note text DEFAULT 'none', n int DEFAULT 7,
                   ok boolean DEFAULT true, at timestamptz DEFAULT '2020-01-01 00:00:00+00', j jsonb DEFAULT '{"a":1}', f float8 DEFAULT 1.5,
                   e text DEFAULT '');
INSERT INTO acct VALUES (1, 10, 'x', 1, false, now(), '{}', 2.5, 'e'), (2, 20, 'y', 2, false, now(), '[]', 3.5, 'f');
