-- Values the change stream does not carry exactly, or drops (interval[]: "No converter found"); arrays of domains; NaN in arrays.
CREATE DOMAIN dnum AS numeric;
CREATE DOMAIN intlist AS int[];
CREATE TABLE arr (id int PRIMARY KEY, iv interval[], na numeric[], dn dnum[], il intlist, two int[][], lb int[], ttz timetz[],
                  m money[], vb varbit, bx box, tq tsquery, mo money, tz timetz, ts timestamp[]);
INSERT INTO arr VALUES (1, '{1 day,2 hours}', '{1.5,NaN}', '{1,2.25}', '{1,2}', '{{1,2},{3,4}}', '[0:1]={7,8}', '{10:00+02}',
                        '{1.50}', B'0101', '((1,2),(3,4))', 'a & b', 12.34, '11:00-03', '{2020-01-01 00:00:00}');
CREATE TABLE kf (a int, f float8, r real, pt point);                              -- keyless, with float zeros and a point at the origin
ALTER TABLE kf REPLICA IDENTITY FULL;
INSERT INTO kf VALUES (1, 0, '-0', '(0,0)'), (2, 5, 0, '(0,-0)'), (3, '-0', 1.5, '(1,0)');
