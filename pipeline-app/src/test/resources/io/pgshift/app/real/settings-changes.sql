INSERT INTO shown VALUES (2, '-1 year -2 mons +3 days -04:05:06', '0044-03-15 BC', '1582-10-04 23:59:59', '1883-11-18 12:00:00+00', 1e-300,
                          3.4028235e38, '\x00', '{"1 mon 00:00:01"}', -0.0000001)
;
UPDATE shown SET i = i * 2, d = d + 1, t = t + interval '1 minute', tz = tz - interval '1 hour', f8 = f8 / 3, f4 = f4 / 3, b = b || '\x01' WHERE id = 1
;
INSERT INTO shown VALUES (3, 'P1Y2M3DT4H5M6S', '2000-01-01', '2000-01-01 00:00:00', '2000-01-01 00:00:00-08', 'NaN', '-Infinity', '', '{}', 'NaN')
