package io.pgshift.core.change;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DdlStatementsTest {

    @Test
    void splitsWhereThePostgresLexerDoes() {
        assertThat(DdlStatements.split("ALTER TABLE t ADD c int; CREATE INDEX ON t (c);\n INSERT INTO t VALUES (1)"))
                .containsExactly("ALTER TABLE t ADD c int", "CREATE INDEX ON t (c)", "INSERT INTO t VALUES (1)");
        assertThat(DdlStatements.split("ALTER TABLE t ADD c text DEFAULT 'a;b''c'; SELECT 1")).hasSize(2).first().asString().endsWith("'a;b''c'");
        assertThat(DdlStatements.split("ALTER TABLE t ADD c text DEFAULT E'x\\';y'; SELECT 1")).hasSize(2);
        assertThat(DdlStatements.split("ALTER TABLE \"a;b\" ADD c int; SELECT 1")).hasSize(2).first().asString().contains("\"a;b\"");
        assertThat(DdlStatements.split("CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql; DROP TABLE x"))
                .hasSize(2).first().asString().endsWith("LANGUAGE sql");
        assertThat(DdlStatements.split("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql")).hasSize(1);
        assertThat(DdlStatements.split("-- a comment; still\nALTER TABLE t ADD c int /* x; /* nested; */ y; */; ")).hasSize(1);
        assertThat(DdlStatements.split("SELECT $1; SELECT 2")).hasSize(2);
    }

    @Test
    void findsTheOrdinalDdlCommandOfAQueryString() {
        String q = "ALTER TABLE t ADD d int; INSERT INTO t VALUES (1); CREATE INDEX t_d ON t (d)";
        assertThat(DdlStatements.statement(q, 1)).contains("ALTER TABLE t ADD d int");
        assertThat(DdlStatements.statement(q, 2)).contains("CREATE INDEX t_d ON t (d)");
        assertThat(DdlStatements.statement(q, 3)).isEmpty();
        assertThat(DdlStatements.statement("ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'", 1)).contains("ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'");
        assertThat(DdlStatements.statement("/* migration 42 */ ALTER TABLE t DROP COLUMN c;", 1)).contains("/* migration 42 */ ALTER TABLE t DROP COLUMN c");
    }

    @Test
    void qualifiedNamesAsFormatWritesThemAreReadBack() {
        assertThat(io.pgshift.core.Identifiers.parseQualified("public.t")).isEqualTo(new io.pgshift.core.TableId("public", "t"));
        assertThat(io.pgshift.core.Identifiers.parseQualified("public.\"Mixed \"\"Q\"\" .Case\""))
                .isEqualTo(new io.pgshift.core.TableId("public", "Mixed \"Q\" .Case"));
        assertThat(io.pgshift.core.Identifiers.parseQualified("\"Ünï\".\"tâble\"")).isEqualTo(new io.pgshift.core.TableId("Ünï", "tâble"));
    }

    @Test
    void aStatementIsTheCommandOfItsTagOnlyWhenItIsNotWrappedInAnotherOne() {
        assertThat(DdlStatements.isCommand("ALTER TABLE t ADD c int", "ALTER TABLE")).isTrue();
        assertThat(DdlStatements.isCommand("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (c)", "CREATE INDEX")).isTrue();
        assertThat(DdlStatements.isCommand("COMMENT ON TABLE t IS 'x'", "COMMENT")).isTrue();
        assertThat(DdlStatements.isCommand("DO $$ BEGIN EXECUTE 'ALTER TABLE t ADD c int'; INSERT INTO t VALUES (1); END $$", "ALTER TABLE")).isFalse();
        assertThat(DdlStatements.isCommand("SELECT migrate_v2()", "ALTER TABLE")).isFalse();
        assertThat(DdlStatements.isCommand("ALTER TABLE t ADD c int", "ALTER TYPE")).isFalse();
    }

    /** The statements of a string that fire ddl_command_end, as the capture counts them: not a SELECT, a role, a database. */
    @org.junit.jupiter.api.Test
    void countsOnlyStatementsThatFireTheDdlTrigger() {
        String q = "SELECT 1; ALTER TABLE events ADD COLUMN a1 int; CREATE ROLE r; GRANT r TO postgres; GRANT SELECT ON events TO r;"
                + " ALTER DATABASE d SET work_mem = '8MB'; SELECT * INTO copy FROM events; CREATE OR REPLACE FUNCTION f() RETURNS int"
                + " LANGUAGE sql AS 'SELECT 1'; COMMENT ON DATABASE d IS 'x'; /* c */ CREATE INDEX i ON events (a1); INSERT INTO t SELECT 1";
        assertThat(DdlStatements.statement(q, 1)).contains("ALTER TABLE events ADD COLUMN a1 int");
        assertThat(DdlStatements.statement(q, 2)).contains("GRANT SELECT ON events TO r");
        assertThat(DdlStatements.statement(q, 3)).contains("SELECT * INTO copy FROM events");
        assertThat(DdlStatements.statement(q, 4)).contains("CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'");
        assertThat(DdlStatements.statement(q, 5)).contains("/* c */ CREATE INDEX i ON events (a1)");
        assertThat(DdlStatements.statement(q, 6)).isEmpty();
    }
}
