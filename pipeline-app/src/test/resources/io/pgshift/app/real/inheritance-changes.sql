DELETE FROM ONLY vehicle WHERE id = 3
;
UPDATE ONLY vehicle SET id = 100 WHERE id = 1
;
UPDATE ONLY vehicle SET name = 'renamed' WHERE id = 2
;
UPDATE ONLY car SET id = 200 WHERE id = 5
;
DELETE FROM ONLY car WHERE id = 6
;
UPDATE bike SET name = 'bike!' WHERE id = 7
;
DELETE FROM bike WHERE id = 8
;
TRUNCATE ONLY car
;
INSERT INTO car VALUES (1, 'again', 2)
;
UPDATE c4 SET extra2 = 'x' WHERE id = 1
;
DELETE FROM c4 WHERE id = 2
