-- Names that Kafka topic names, JSON field names or Debezium's decoder might rewrite, and that must keep their own topic and changes.
CREATE TABLE "taxe€" (id int PRIMARY KEY, v text);
CREATE TABLE "taxe$" (id int PRIMARY KEY, v text);
CREATE TABLE "taxe_" (id int PRIMARY KEY, v text);
CREATE TABLE "ÄÖÜäöüßéèêëàâîïôûçñ_ÄÖÜäöüßéèêëàâîïôûçñ_ab" (id int PRIMARY KEY, v text);
CREATE TABLE "a.b" (id int PRIMARY KEY, v text);
CREATE TABLE "Größe" ("Schlüssel" int PRIMARY KEY, "Wert €" text, "日本語" text);
CREATE TABLE "emoji 🐘" ("🔑" int PRIMARY KEY, v text);
INSERT INTO "taxe€" VALUES (1, 'a'), (2, 'b');
INSERT INTO "taxe$" VALUES (1, 'x'), (2, 'y');
INSERT INTO "taxe_" VALUES (1, 'u');
INSERT INTO "ÄÖÜäöüßéèêëàâîïôûçñ_ÄÖÜäöüßéèêëàâîïôûçñ_ab" VALUES (1, 'a'), (2, 'b');
INSERT INTO "a.b" VALUES (1, 'dot');
INSERT INTO "Größe" VALUES (1, 'eins', 'いち'), (2, 'zwei', 'に');
INSERT INTO "emoji 🐘" VALUES (1, 'pg');
CREATE TABLE "t " (id int PRIMARY KEY, v text);                                   -- white space Debezium's lists would trim
CREATE TABLE " lead" (id int PRIMARY KEY, v text);
INSERT INTO "t " VALUES (1, 'a');
INSERT INTO " lead" VALUES (1, 'a');
