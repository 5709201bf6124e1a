INSERT INTO arr VALUES (2, '{3 days,"1 mon 2 days 00:00:03",-00:00:01}', '{NaN,-1e-5,2}', '{3.5,NULL}', '{}', '{{5,6},{7,8}}', '[-2:-1]={1,2}',
                        '{23:59:59.999999+14,00:00-12}', '{-92233720368547758.08}', B'', '((0,0),(0,0))', '!x | (y & z)', 92233720368547758.07,
                        '00:00:00+13:45', '{4713-01-01 00:00:00 BC,infinity}')
;
UPDATE arr SET iv = '{5 minutes}', na = '{NaN}', dn = NULL WHERE id = 1
;
UPDATE arr SET iv = NULL, ttz = '{23:00:00-00:25:21}' WHERE id = 2
;
INSERT INTO arr (id) VALUES (3)
;
DELETE FROM arr WHERE id = 1

;
UPDATE kf SET a = 10 WHERE a = 1
;
DELETE FROM kf WHERE a = 2
;
UPDATE kf SET f = 0, pt = '(0,0)' WHERE a = 3
