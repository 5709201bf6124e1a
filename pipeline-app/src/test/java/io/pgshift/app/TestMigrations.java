package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.core.TableSelection;
import io.pgshift.core.validation.TableComparator;
import io.pgshift.core.validation.TableComparison;
import io.pgshift.testkit.TestServers;

/** Configurations against the shared test servers, and the final proof that target == source. */
final class TestMigrations {

    private TestMigrations() {
    }

    static String yaml(TestServers servers, String name, String database, Path workDir) {
        return String.join("\n",
                "name: " + name,
                "source: { host: 127.0.0.1, port: " + servers.source().port() + ", user: postgres }",
                "target: { host: 127.0.0.1, port: " + servers.target().port() + ", user: postgres }",
                "databases:",
                "  - { source: " + database + " }",
                "tables: { include: [\"public.*\"] }",
                "kafka: { bootstrap: \"" + servers.bootstrapServers() + "\" }",
                "capture: { heartbeatIntervalMs: 1000 }",
                "http: { port: 0 }",
                "status: { publishIntervalMs: 500 }",
                "workDir: \"" + workDir + "\"",
                "");
    }

    /** Runs each statement on a database of this server, in autocommit. */
    static void execute(io.pgshift.testkit.EmbeddedPostgres server, String database, String... sql) throws java.sql.SQLException {
        try (Connection c = server.connect(database); java.sql.Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    /** What one run of the command line printed, and its exit code. */
    record CliRun(int exitCode, String out, String err) {
    }

    /** Runs pgshift's command line in this JVM, as an operator would in a shell. */
    static CliRun cli(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli = Main.commandLine();
        cli.setOut(new java.io.PrintWriter(out, true));
        cli.setErr(new java.io.PrintWriter(err, true));
        int code = cli.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** Writes a configuration file. */
    static Path configFile(Path folder, String yaml) throws java.io.IOException {
        java.nio.file.Files.createDirectories(folder);
        Path file = folder.resolve("migration.yaml");
        java.nio.file.Files.writeString(file, yaml);
        return file;
    }

    static MigrationConfig config(TestServers servers, String name, String database, Path workDir) {
        return new MigrationConfigLoader(System::getenv).parse(yaml(servers, name, database, workDir), name);
    }

    /** The rows (as text) one side has and the other lacks, to say how a table differs. */
    static String differingRows(Connection s, Connection t, io.pgshift.core.TableId table) throws java.sql.SQLException {
        java.util.Set<String> source = rows(s, table);
        java.util.Set<String> target = rows(t, table);
        java.util.Set<String> onlySource = new java.util.TreeSet<>(source);
        onlySource.removeAll(target);
        java.util.Set<String> onlyTarget = new java.util.TreeSet<>(target);
        onlyTarget.removeAll(source);
        return table + " only in source: " + onlySource.stream().limit(20).map(r -> r.length() > 300 ? r.substring(0, 300) + "..." : r).toList()
                + "\n" + table + " only in target: " + onlyTarget.stream().limit(20).map(r -> r.length() > 300 ? r.substring(0, 300) + "..." : r).toList() + "\n";
    }

    private static java.util.Set<String> rows(Connection c, io.pgshift.core.TableId table) throws java.sql.SQLException {
        java.util.Set<String> rows = new java.util.HashSet<>();
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (java.sql.Statement st = c.createStatement()) {
            st.execute(io.pgshift.core.SqlResource.load("session-text-format.sql"));
            try (java.sql.ResultSet rs = st.executeQuery("SELECT t::text FROM " + table.quoted() + " AS t")) {
                while (rs.next()) {
                    rows.add(String.valueOf(rs.getString(1)));
                }
            }
        }
        finally {
            c.rollback();
            c.setAutoCommit(auto);
        }
        return rows;
    }

    /** Every table of the database: same row count and same md5 over its rows ordered by primary key, on both sides. */
    static TableComparison assertTargetEqualsSource(TestServers servers, String database) throws Exception {
        return assertTargetEqualsSource(servers, database, TableSelection.all());
    }

    /** The selected tables: same row count and same md5 over their rows ordered by primary key, on both sides. */
    static TableComparison assertTargetEqualsSource(TestServers servers, String database, TableSelection selection) throws Exception {
        try (Connection s = servers.source().connect(database); Connection t = servers.target().connect(database)) {
            TableComparison comparison = TableComparator.compare(s, t, selection);
            assertThat(comparison.entries()).as("tables compared").isNotEmpty();
            StringBuilder rows = new StringBuilder();
            for (TableComparison.Entry e : comparison.mismatches()) {
                rows.append(differingRows(s, t, e.source().table()));
            }
            assertThat(comparison.mismatches()).as("tables that differ:\n%s\n%s", comparison, rows).isEmpty();
            return comparison;
        }
    }
}
