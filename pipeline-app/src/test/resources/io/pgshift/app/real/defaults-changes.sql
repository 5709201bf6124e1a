UPDATE acct SET credit = NULL WHERE id = 1
;
INSERT INTO acct VALUES (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
;
INSERT INTO acct (id) VALUES (5)
;
UPDATE acct SET note = NULL, n = NULL, ok = NULL, at = NULL, j = NULL, f = NULL, e = NULL WHERE id = 2
