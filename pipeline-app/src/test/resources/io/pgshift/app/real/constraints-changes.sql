UPDATE b SET id = id + 1
;
UPDATE b SET id = id - 1
;
UPDATE swapd SET id = 41 - id
;
BEGIN; UPDATE swapd SET id = 0 WHERE id = 1; UPDATE swapd SET id = 1 WHERE id = 2; UPDATE swapd SET id = 2 WHERE id = 0; COMMIT
;
BEGIN; UPDATE uq SET email = 'tmp', code = -1 WHERE id = 1; UPDATE uq SET email = 'e1', code = 1 WHERE id = 2; UPDATE uq SET email = 'e2', code = 2 WHERE id = 1; COMMIT
;
DO $$ BEGIN FOR i IN 1..300 LOOP UPDATE uq SET email = 'x' || i, code = 1000 + i WHERE id = 3; END LOOP; END $$
;
UPDATE ukd SET slot = 21 - slot
;
BEGIN; UPDATE ex SET r = int4range(1000, 1001) WHERE id = 1; UPDATE ex SET r = int4range(10, 20) WHERE id = 2; UPDATE ex SET r = int4range(20, 30) WHERE id = 1; COMMIT
;
UPDATE exd SET r = int4range((11 - id) * 10, (11 - id) * 10 + 10)
;
DELETE FROM b WHERE id % 7 = 0
;
INSERT INTO swapd VALUES (100, 'new'), (101, 'new')

;
UPDATE dd SET u = u + 1000 WHERE id = 2
;
DELETE FROM dd WHERE id = 5
;
UPDATE dd SET v = 'changed' WHERE id = 3
;
UPDATE dd SET id = 100 - id
;
UPDATE dd SET u = u + 2000 WHERE id % 2 = 0
