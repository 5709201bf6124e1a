package io.pgshift.app.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.core.PgEndpoint;

/**
 * Copies a database's schema with {@code pg_dump --schema-only --no-owner --no-privileges} and applies
 * it to the target with {@code psql}, stopping at the first error. Passwords travel in the environment
 * of the child processes, never on their command lines. pgshift's own schema is left out.
 */
public final class SchemaCopier {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaCopier.class);

    private SchemaCopier() {
    }

    /** Copies the schema when the target database has no table yet; says so and does nothing otherwise. */
    public static boolean copyIfTargetEmpty(PgEndpoint source, String sourceDb, PgEndpoint target, String targetDb, Path workDir)
            throws SQLException, IOException {
        try (Connection c = target.connect(targetDb, "pgshift-schema"); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                     + " WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema','pgshift') AND n.nspname NOT LIKE 'pg\\_%'")) {
            rs.next();
            if (rs.getLong(1) > 0) {
                LOG.info("Target database '{}' already has {} tables: schema copy skipped", targetDb, rs.getLong(1));
                return false;
            }
        }
        Files.createDirectories(workDir);
        Path dump = workDir.resolve("schema-" + sourceDb + ".sql");
        run(List.of(tool("pg_dump"), "--schema-only", "--no-owner", "--no-privileges", "--no-publications", "--no-subscriptions",
                "--exclude-schema=pgshift", "--file=" + dump, "--dbname=" + sourceDb), source, sourceDb, "dumping the schema of source database '" + sourceDb + "'");
        run(List.of(tool("psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction", "--file=" + dump,
                "--dbname=" + targetDb), target, targetDb, "applying the schema of '" + sourceDb + "' to target database '" + targetDb + "'");
        LOG.info("Schema of source database '{}' copied to target database '{}' ({})", sourceDb, targetDb, dump);
        return true;
    }

    private static String tool(String name) {
        for (String dir : List.of("/usr/bin", "/usr/local/bin")) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name).toString();
            }
        }
        return name;
    }

    private static void run(List<String> command, PgEndpoint endpoint, String db, String what) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(endpoint.libpqEnvironment(db));
        Process p;
        try {
            p = pb.start();
        }
        catch (IOException e) {
            throw new IOException(command.get(0) + " is needed for " + what + " but could not be started (" + e.getMessage()
                    + "). Install the PostgreSQL client tools: apt-get install -y postgresql-client", e);
        }
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException("Timed out " + what);
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted " + what, e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("Failed " + what + " (" + Path.of(command.get(0)).getFileName() + " exit " + p.exitValue() + "):\n" + out.strip());
        }
    }

    /** Creates the target database when it does not exist. */
    public static void ensureDatabase(PgEndpoint target, String database) throws SQLException {
        try (Connection c = target.connect("postgres", "pgshift-schema");
             var ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
            try (Statement st = c.createStatement()) {
                st.execute("CREATE DATABASE " + io.pgshift.core.Identifiers.quote(database));
                LOG.info("Created target database '{}'", database);
            }
        }
    }
}
