INSERT INTO nocols SELECT FROM generate_series(1, 3)
;
DELETE FROM nocols WHERE ctid = (SELECT ctid FROM nocols LIMIT 1)
;
UPDATE other SET v = v || '!' WHERE id < 10
