-- What pg_dump rightly copies to the target and that would act on replicated writes there.
CREATE TABLE ident (id int PRIMARY KEY, seq int GENERATED ALWAYS AS IDENTITY, v text);
INSERT INTO ident (id, v) VALUES (1, 'a'), (2, 'b');
CREATE TABLE audited (id int PRIMARY KEY, v text);
CREATE TABLE audit_log (id bigserial PRIMARY KEY, what text);
CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit_log (what) VALUES (TG_OP || ' ' || NEW.id); RETURN NEW; END $$;
CREATE TRIGGER audited_always AFTER INSERT OR UPDATE ON audited FOR EACH ROW EXECUTE FUNCTION audit();
ALTER TABLE audited ENABLE ALWAYS TRIGGER audited_always;
CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.v := NEW.v || ' (stamped)'; RETURN NEW; END $$;
CREATE TRIGGER audited_replica BEFORE INSERT OR UPDATE ON audited FOR EACH ROW EXECUTE FUNCTION stamp();
ALTER TABLE audited ENABLE REPLICA TRIGGER audited_replica;
CREATE TABLE ruled (id int PRIMARY KEY, v text);
CREATE RULE ruled_copy AS ON INSERT TO ruled DO ALSO INSERT INTO audit_log (what) VALUES ('rule ' || NEW.id);
ALTER TABLE ruled ENABLE ALWAYS RULE ruled_copy;
INSERT INTO audited VALUES (1, 'a');
INSERT INTO ruled VALUES (1, 'r');
CREATE TABLE soft (id int PRIMARY KEY, v text);                                    -- an ordinary rule on UPDATE: no ON CONFLICT on this table
CREATE RULE soft_upd AS ON UPDATE TO soft DO ALSO INSERT INTO audit_log (what) VALUES ('upd ' || NEW.id);
INSERT INTO soft VALUES (1, 'a'), (2, 'b');
