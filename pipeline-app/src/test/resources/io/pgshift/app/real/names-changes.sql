UPDATE "taxe€" SET v = 'changed' WHERE id = 1
;
DELETE FROM "taxe$" WHERE id = 2
;
INSERT INTO "taxe_" VALUES (2, 'new')
;
DELETE FROM "ÄÖÜäöüßéèêëàâîïôûçñ_ÄÖÜäöüßéèêëàâîïôûçñ_ab" WHERE id = 2
;
UPDATE "a.b" SET id = 2
;
UPDATE "Größe" SET "Wert €" = 'drei', "日本語" = 'さん' WHERE "Schlüssel" = 1
;
UPDATE "Größe" SET "Schlüssel" = 3 WHERE "Schlüssel" = 2
;
UPDATE "emoji 🐘" SET v = 'elephant'
;
UPDATE "t " SET v = 'changed'
;
INSERT INTO "t " VALUES (2, 'new')
;
UPDATE " lead" SET v = 'changed'
