-- One table per type family, one row per tricky value. Loaded before the migration starts (snapshot),
-- then changes.sql writes every value again while the migration streams.
CREATE TYPE mood AS ENUM ('happy', 'very sad', 'ça va', 'a"quote', 'Ünïcødé 😀');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
CREATE TYPE address AS (street text, zip integer, tags text[], at timestamptz);

CREATE TABLE t_numeric (id int PRIMARY KEY, n numeric, n_scaled numeric(12,4));
INSERT INTO t_numeric VALUES
  (1, 'NaN', 0), (2, 0, -0.0001), (3, '123456789012345678901234567890.123456789012345678901234567890', 99999999.9999),
  (4, '-0.000000000000000000000000000000000000001', 1.5), (5, '1.000', NULL), (6, 1e100, -99999999.9999),
  (7, '-1e-100', 0.1), (8, NULL, NULL);

CREATE TABLE t_money (id int PRIMARY KEY, m money);
INSERT INTO t_money VALUES (1, 0), (2, -12.34), (3, '92233720368547758.07'), (4, '-92233720368547758.08'), (5, 1234567.89),
  (6, '90071992547409.93'), (7, NULL);

CREATE TABLE t_integers (id int PRIMARY KEY, i2 smallint, i4 integer, i8 bigint, o oid, b boolean, c "char");
INSERT INTO t_integers VALUES (1, -32768, -2147483648, -9223372036854775808, 0, false, 'a'),
  (2, 32767, 2147483647, 9223372036854775807, 4294967295, true, 'Z'), (3, 0, 0, 0, 1, NULL, NULL), (4, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE t_floats (id int PRIMARY KEY, r real, d double precision);
INSERT INTO t_floats VALUES (1, 'NaN', 'NaN'), (2, 'Infinity', 'Infinity'), (3, '-Infinity', '-Infinity'),
  (4, 1.4e-45, 4.9e-324), (5, 3.4028235e38, 1.7976931348623157e308), (6, '-0', '-0'), (7, 0.1, 0.1),
  (8, 1.17549435e-38, 2.2250738585072014e-308), (9, 123456.79, 0.30000000000000004), (10, NULL, NULL), (11, 1e-40, 1e-310);

CREATE TABLE t_text (id int PRIMARY KEY, t text, v varchar(20), c char(8), n name);
INSERT INTO t_text VALUES
  (1, E'tab\there\nnew line\r\nwindows', 'back\slash', 'ab', 'name'),
  (2, E'quotes '' " and \\ backslash \\x00 not a null', '"', ' lead', 'Mixed Case'),
  (3, 'four bytes 😀 𝄞 and two ü and three €', '€uro', 'ü', 'ßtraße'),
  (4, '', '', '', ''), (5, 'NULL', 'null', 'NULL', 'NULL'), (6, NULL, NULL, NULL, NULL),
  (7, repeat('long text that TOASTs ', 20000), 'x', 'x', 'x'), (8, E'{a,b}\\"', '(1,2)', '{}', '"q"');

CREATE TABLE t_bytea (id int PRIMARY KEY, b bytea);
INSERT INTO t_bytea VALUES (1, ''), (2, '\x00'), (3, '\x00ff7f80'), (4, NULL),
  (5, (SELECT string_agg(sha256(int4send(g)), ''::bytea) FROM generate_series(1, 100000) g)),
  (6, convert_to('__debezium_unavailable_value', 'UTF8'));

CREATE TABLE t_datetime (id int PRIMARY KEY, d date, ts timestamp, tstz timestamptz, tm time, tmtz timetz, iv interval);
INSERT INTO t_datetime VALUES
  (1, 'infinity', 'infinity', 'infinity', '24:00:00', '12:34:56.789+05:30', '1 year 2 mons 3 days 04:05:06.789012'),
  (2, '-infinity', '-infinity', '-infinity', '00:00:00', '00:00:00+14', '-1 mons +3 days -00:00:01.5'),
  (3, '0044-03-15 BC', '0044-03-15 12:00:00.123456 BC', '0044-03-15 12:00:00 BC', '23:59:59.999999', '23:59:59.999999-12:45', '178000000 years'),
  (4, '4713-01-01 BC', '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00+00 BC', '12:00', '24:00:00-15:59', '-00:00:00.000001'),
  (5, '5874897-12-31', '294276-12-31 23:59:59.999999', '294276-12-31 23:59:59.999999+00', '00:00:00.000001', '10:00:00+00', '1 mons -30 days'),
  (6, '2000-02-29', '2000-02-29 01:02:03.000004', '2000-02-29 01:02:03.000004+01:30', '01:02:03.4', '01:02:03.4-03', '-178000000 years -11 mons'),
  (7, '1970-01-01', '1969-12-31 23:59:59.999999', '1969-12-31 23:59:59.999999-08', '08:00', '08:00+01:02', '2147483647 days 2000000:00:54.775807'),
  (8, NULL, NULL, NULL, NULL, NULL, NULL), (9, '0001-01-01', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', '13:14:15', '13:14:15+00', '0');

CREATE TABLE t_documents (id int PRIMARY KEY, u uuid, j json, jb jsonb, x xml);
INSERT INTO t_documents VALUES
  (1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{ "b": 1,   "a": [1, 2.50, "x"] ,"b": 2 }', '{"b": 1, "a": [1, 2.50, "x"], "n": null}',
   '<?xml version="1.0"?><doc a="1">t&amp;x <b>bold</b></doc>'),
  (2, '00000000-0000-0000-0000-000000000000', E'\n[ ]\n', '[]', 'just text, a fragment'),
  (3, NULL, '"😀 \u00e9 \\"', '{"emoji": "😀", "esc": "\u00e9\n"}', '<a><![CDATA[x<y]]></a>'),
  (4, NULL, 'null', 'null', NULL), (5, NULL, NULL, NULL, NULL);

CREATE TABLE t_network (id int PRIMARY KEY, i inet, c cidr, m macaddr, m8 macaddr8);
INSERT INTO t_network VALUES (1, '192.168.0.1/24', '192.168.0.0/24', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05'),
  (2, '::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00:00:00'), (3, '10.0.0.1', '10.0.0.1/32', '00:00:00:00:00:00', NULL),
  (4, 'fe80::1/64', '::/0', NULL, NULL), (5, NULL, NULL, NULL, NULL);

CREATE TABLE t_bits (id int PRIMARY KEY, b bit(10), vb varbit, b1 bit(1));
INSERT INTO t_bits VALUES (1, B'1010000001', B'', B'1'), (2, B'0000000000', B'1', B'0'),
  (3, B'1111111111', B'0000000011111111000000001111111100000000111111110000000011111111001', NULL),
  (4, B'0110011001', B'10', B'1'), (5, NULL, NULL, NULL);

CREATE TABLE t_geometry (id int PRIMARY KEY, p point, l line, s lseg, b box, pa path, po polygon, c circle);
INSERT INTO t_geometry VALUES
  (1, '(1.5,-2.25)', '{1,-1,0}', '[(0,0),(1,1)]', '(1,1),(0,0)', '[(0,0),(1,1),(2,0)]', '((0,0),(1,1),(2,0))', '<(1,2),3.5>'),
  (2, '(0.1,1e300)', '{0.5,2,-3}', '[(-1e-5,2),(3,4)]', '(-1,-2),(3,4)', '((0,0),(1,1))', '((0,0))', '<(0,0),0>'),
  (3, '(NaN,Infinity)', NULL, NULL, NULL, NULL, NULL, NULL), (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE t_text_search (id int PRIMARY KEY, v tsvector, q tsquery);
INSERT INTO t_text_search VALUES (1, 'a fat cat:1A,2B sat:3 on a mat', 'fat & (rat | cat)'),
  (2, to_tsvector('english', 'The quick brown foxes jumped'), to_tsquery('english', '!quick <-> fox:*')),
  (3, '''it''''s'' ''😀''', '''a b'' & c:AB'), (4, '', NULL), (5, NULL, NULL);

CREATE TABLE t_ranges (id int PRIMARY KEY, i4 int4range, i8 int8range, n numrange, ts tsrange, tstz tstzrange, d daterange);
INSERT INTO t_ranges VALUES (1, 'empty', 'empty', 'empty', 'empty', 'empty', 'empty'),
  (2, '[1,)', '(,)', '(,1.5]', '[2020-01-01 00:00:00,)', '(,2020-01-01 00:00:00+00)', '[2020-01-01,infinity)'),
  (3, '[-2147483648,2147483647)', '[-9223372036854775808,9223372036854775807)', '[1.000,NaN]', '["2000-01-01 00:00:00.000001","2000-01-01 00:00:00.000002"]',
   '[-infinity,infinity]', '[0044-03-15 BC,0044-03-16 BC)'), (4, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE t_arrays (id int PRIMARY KEY, ints int[], texts text[], moods mood[], docs jsonb[], dates date[], nums numeric[], bytes bytea[], tz timetz[]);
INSERT INTO t_arrays VALUES
  (1, '{{1,2},{3,4}}', '{"a b",NULL,"c\"d","NULL","", "{}", "back\\slash"}', '{happy,"very sad"}', ARRAY['{"a": 1}'::jsonb, 'null', '[1, "x"]'],
   '{2020-01-01,infinity,NULL}', '{NaN,1.50,-0.001}', '{"\\x00ff",""}', '{12:00+05:30,NULL}'),
  (2, '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}'),
  (3, '[0:1]={7,8}', '{{{a,b},{c,d}},{{e,f},{g,NULL}}}', '{"ça va","a\"quote","Ünïcødé 😀"}', ARRAY[NULL::jsonb], '{{2020-01-01},{2020-01-02}}', '{{1},{2}}', NULL, NULL),
  (4, '{NULL,NULL}', ARRAY[NULL::text], NULL, NULL, NULL, NULL, NULL, NULL), (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE t_user_types (id int PRIMARY KEY, m mood, p positive_int, e email, a address, pa address[]);
INSERT INTO t_user_types VALUES (1, 'happy', 1, 'a@b.c', ROW('1 Main St', 12345, '{a,"b c"}', '2020-01-01 00:00:00+00'), ARRAY[ROW('x', 1, NULL, NULL)::address]),
  (2, 'very sad', 2147483647, '"quoted"@x', ROW(E'tab\t"q"\\', NULL, '{}', 'infinity'), '{}'),
  (3, 'ça va', 3, 'ü@ß', ROW(NULL, NULL, NULL, NULL), NULL), (4, 'a"quote', 4, '@', NULL, NULL), (5, 'Ünïcødé 😀', NULL, NULL, NULL, NULL);

CREATE TABLE "Mixed ""Quoted"" Names" ("Id" int PRIMARY KEY, "select" text, "Größe" int, "user id" text, "from" date);
INSERT INTO "Mixed ""Quoted"" Names" VALUES (1, 'reserved', 42, 'spaces', '2020-01-01'), (2, NULL, NULL, NULL, NULL);
CREATE SCHEMA "Ünïcode Schema";
CREATE TABLE "Ünïcode Schema"."tâble" (id int PRIMARY KEY, "ç" text);
INSERT INTO "Ünïcode Schema"."tâble" VALUES (1, 'x');
