INSERT INTO big VALUES (2, repeat('0123456789abcdef', 24 * 65536), NULL)
;
UPDATE big SET b = decode(repeat('00ff', 10 * 524288), 'hex') WHERE id = 1
;
UPDATE big SET t = t || '!' WHERE id = 2
;
UPDATE big SET t = repeat('x', 20 * 1048576) WHERE id = 1
