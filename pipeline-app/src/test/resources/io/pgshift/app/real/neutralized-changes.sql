UPDATE ident SET v = v || '!'
;
INSERT INTO ident (id, v) VALUES (3, 'c')
;
UPDATE ident SET seq = DEFAULT WHERE id = 1
;
UPDATE audited SET v = 'b'
;
INSERT INTO audited VALUES (2, 'x')
;
INSERT INTO ruled VALUES (2, 's')

;
UPDATE soft SET v = 'u' WHERE id = 2
;
INSERT INTO soft VALUES (3, 'c')
;
UPDATE soft SET id = 4 WHERE id = 1
