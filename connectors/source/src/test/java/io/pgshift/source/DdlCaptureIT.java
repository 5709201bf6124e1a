package io.pgshift.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.pgshift.testkit.TestServers;

/**
 * The DDL capture on a PostgreSQL 13 source (issue 20, its first part): every schema change an application's own role makes is
 * recorded in pgshift.ddl in its transaction, with its query string, its place among the DDL commands of that string, its tag, the
 * caller's search_path and the tables it touches; nothing pgshift does is recorded, a rolled-back command is not, and a failure of
 * the capture never fails the application's command.
 */
class DdlCaptureIT {

    /** One recorded command. */
    record Row(String command, int ordinal, String tag, String searchPath, List<String> tables, List<String> objects) {
    }

    @Test
    void everySchemaChangeOfTheApplicationIsRecordedWithTheTablesItTouches() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("ddlcap");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
            st.execute("CREATE TABLE t (id int PRIMARY KEY, m mood)");
            st.execute("CREATE TABLE u (id int PRIMARY KEY)");
            st.execute("CREATE TABLE \"Mixed Case\" (id int PRIMARY KEY)");
            st.execute("CREATE SCHEMA app");
            st.execute("DO $$ BEGIN CREATE ROLE ddl_app LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
            st.execute("GRANT ALL ON SCHEMA public, app TO ddl_app");
            st.execute("ALTER TABLE t OWNER TO ddl_app; ALTER TABLE u OWNER TO ddl_app; ALTER TABLE \"Mixed Case\" OWNER TO ddl_app;"
                    + " ALTER TYPE mood OWNER TO ddl_app");
            assertThat(SourceSetup.canInstallDdlCapture(c)).isTrue();
            SourceSetup.installDdlCapture(c);
            SourceSetup.installDdlCapture(c); // idempotent
        }
        // The application's role, which has no right on pgshift.ddl, changes its schema.
        try (Connection app = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + servers.source().port() + "/" + db, "ddl_app", "");
             Statement st = app.createStatement()) {
            st.execute("SET search_path = app, public");
            st.execute("ALTER TABLE t ADD COLUMN c int DEFAULT 5");
            st.execute("CREATE INDEX t_c ON t (c)");
            st.execute("ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'");
            st.execute("DROP INDEX t_c");
            st.execute("ALTER TABLE t DROP COLUMN c");
            st.execute("ALTER TABLE \"Mixed Case\" ADD COLUMN \"Größe\" int");
            // With search_path app, public this creates app.u (public.u exists, app.u does not): the recorded search_path says so.
            st.execute("CREATE TABLE IF NOT EXISTS u (id int PRIMARY KEY)");
            st.execute("DROP TABLE u");
            // PgJDBC sends the statements of one string one by one (extended protocol): each is a query string of its own.
            st.execute("ALTER TABLE t ADD COLUMN g int; CREATE INDEX t_g ON t (g)");
            app.setAutoCommit(false);
            st.execute("ALTER TABLE t RENAME COLUMN g TO e");
            app.rollback(); // rolled back: never recorded
            app.setAutoCommit(true);
        }
        // One query string with two DDL commands and a write, as psql or the simple query protocol sends it: each command is recorded
        // with the whole string and its place among the string's DDL commands.
        try (Connection app = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + servers.source().port() + "/" + db
                + "?preferQueryMode=simple", "ddl_app", ""); Statement st = app.createStatement()) {
            st.execute("ALTER TABLE t ADD COLUMN d int; CREATE INDEX t_d ON t (d); INSERT INTO t VALUES (1, 'ok', 7, 8)");
        }
        List<Row> rows = new ArrayList<>(rows(servers, db));
        assertThat(rows).extracting(Row::tag).containsExactly("ALTER TABLE", "CREATE INDEX", "ALTER TYPE", "DROP INDEX", "ALTER TABLE",
                "ALTER TABLE", "CREATE TABLE", "DROP TABLE", "ALTER TABLE", "CREATE INDEX", "ALTER TABLE", "CREATE INDEX");
        assertThat(rows.get(0).tables()).containsExactly("public.t");
        assertThat(rows.get(0).searchPath()).isEqualTo("app, public");
        assertThat(rows.get(1).tables()).containsExactly("public.t");
        assertThat(rows.get(2).tables()).isEmpty();
        assertThat(rows.get(2).objects()).containsExactly("public.mood");
        assertThat(rows.get(3).tables()).isEmpty();
        assertThat(rows.get(3).objects()).containsExactly("public.t_c");
        assertThat(rows.get(4).tables()).containsExactly("public.t");
        assertThat(rows.get(5).tables()).containsExactly("public.\"Mixed Case\"");
        assertThat(rows.get(6).tables()).containsExactly("app.u");
        assertThat(rows.get(7).tables()).as("DROP TABLE u drops app.u, first on the search_path").containsExactly("app.u");
        assertThat(rows.get(8).command()).isEqualTo("ALTER TABLE t ADD COLUMN g int");
        assertThat(rows.get(9).command()).contains("CREATE INDEX t_g").doesNotContain("ALTER TABLE");
        assertThat(List.of(rows.get(8).ordinal(), rows.get(9).ordinal())).containsExactly(1, 1);
        assertThat(rows.get(10).command()).isEqualTo(rows.get(11).command()).contains("INSERT INTO t");
        assertThat(List.of(rows.get(10).ordinal(), rows.get(11).ordinal())).containsExactly(1, 2);
        assertThat(rows.get(11).tables()).containsExactly("public.t");

        // A capture that fails (its table gone) warns; the application's command succeeds.
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE pgshift.ddl RENAME TO ddl_away");
        }
        try (Connection app = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + servers.source().port() + "/" + db, "ddl_app", "");
             Statement st = app.createStatement()) {
            st.execute("ALTER TABLE t ADD COLUMN f text");
            assertThat((Object) st.getWarnings()).isNotNull();
            assertThat(st.getWarnings().getMessage()).contains("pgshift could not record this schema change");
        }
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE pgshift.ddl_away RENAME TO ddl");
        }
    }

    /**
     * A table the application creates joins pgshift's publication in the creating transaction when the selection picks it and it has a
     * key (a table without one would make the application's UPDATE and DELETE fail in a publication that publishes them); a partition
     * goes with its root; a renamed table is recorded under its new name with the same oid.
     */
    @Test
    void aNewTableInTheSelectionJoinsThePublicationAndARenamedOneKeepsItsOid() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("ddljoin");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t (id int PRIMARY KEY)");
            st.execute("CREATE SCHEMA app");
            st.execute("DO $$ BEGIN CREATE ROLE ddl_joiner LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
            st.execute("GRANT ALL ON SCHEMA public, app TO ddl_joiner");
            st.execute("CREATE PUBLICATION join_pub FOR TABLE t");
            SourceSetup.installDdlCapture(c);
            SourceSetup.writeCaptureSettings(c, "join_pub", new io.pgshift.core.TableSelection(List.of("public.*"), List.of("public.skip_*")));
        }
        long joinsOid;
        try (Connection app = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + servers.source().port() + "/" + db, "ddl_joiner", "");
             Statement st = app.createStatement()) {
            app.setAutoCommit(false);
            st.execute("CREATE TABLE joins (id int PRIMARY KEY, v text)");
            st.execute("INSERT INTO joins VALUES (1, 'in the creating transaction')");
            app.commit();
            app.setAutoCommit(true);
            st.execute("CREATE TABLE skip_me (id int PRIMARY KEY)");
            st.execute("CREATE TABLE skipxme (id int PRIMARY KEY)"); // '_' is a literal in the pattern
            st.execute("CREATE TABLE keyless (v text)");
            st.execute("INSERT INTO keyless VALUES ('x')");
            st.execute("UPDATE keyless SET v = 'y'"); // published with REPLICA IDENTITY FULL: the application's UPDATE works
            st.execute("CREATE TABLE made AS SELECT 1 AS id"); // its rows were written by the command: not joined
            st.execute("CREATE TABLE app.elsewhere (id int PRIMARY KEY)");
            st.execute("CREATE TABLE parted (id int PRIMARY KEY) PARTITION BY RANGE (id)");
            st.execute("CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (1) TO (10)");
            try (ResultSet rs = st.executeQuery("SELECT 'public.joins'::regclass::oid")) {
                rs.next();
                joinsOid = rs.getLong(1);
            }
            st.execute("ALTER TABLE joins RENAME TO joined");
            st.execute("UPDATE joined SET v = 'renamed'");
        }
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            List<String> published = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = 'join_pub' ORDER BY 1")) {
                while (rs.next()) {
                    published.add(rs.getString(1));
                }
            }
            // pg_publication_tables lists a partitioned table's leaves.
            assertThat(published).containsExactly("public.joined", "public.keyless", "public.parted_1", "public.skipxme", "public.t");
            try (ResultSet rs = st.executeQuery("SELECT relreplident FROM pg_class WHERE oid = 'public.keyless'::regclass")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("f");
            }
            List<String> log = new ArrayList<>();
            List<String> oids = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT tag, ARRAY(SELECT json_array_elements_text(tables::json)),"
                    + " ARRAY(SELECT json_array_elements_text(published::json)), relations::jsonb::text FROM pgshift.ddl ORDER BY id")) {
                while (rs.next()) {
                    log.add(rs.getString(1) + " " + list(rs.getArray(2)) + " published " + list(rs.getArray(3)));
                    oids.add(rs.getString(4));
                }
            }
            assertThat(log).containsExactly(
                    "CREATE TABLE [public.joins] published [public.joins]",
                    "CREATE TABLE [public.skip_me] published []",
                    "CREATE TABLE [public.skipxme] published [public.skipxme]",
                    "CREATE TABLE [public.keyless] published [public.keyless]",
                    "CREATE TABLE AS [public.made] published []",
                    "CREATE TABLE [app.elsewhere] published []",
                    "CREATE TABLE [public.parted] published [public.parted]",
                    "CREATE TABLE [public.parted] published []",
                    "ALTER TABLE [public.joined] published []");
            assertThat(oids.get(0)).isEqualTo("{\"public.joins\": " + joinsOid + "}");
            assertThat(oids.get(8)).as("the renamed table keeps its oid").isEqualTo("{\"public.joined\": " + joinsOid + "}");
        }
    }

    private static List<Row> rows(TestServers servers, String db) throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT command, ordinal, tag, search_path, ARRAY(SELECT json_array_elements_text(tables::json)),"
                     + " ARRAY(SELECT json_array_elements_text(objects::json)) FROM pgshift.ddl ORDER BY id")) {
            while (rs.next()) {
                rows.add(new Row(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4), list(rs.getArray(5)), list(rs.getArray(6))));
            }
        }
        return rows;
    }

    private static List<String> list(Array a) throws SQLException {
        return Arrays.asList((String[]) a.getArray());
    }
}
