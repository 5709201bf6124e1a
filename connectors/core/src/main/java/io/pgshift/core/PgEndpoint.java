package io.pgshift.core;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Where and how to reach one PostgreSQL server. The password is a {@link Secret}: it goes to the
 * driver (or to {@code PGPASSWORD} for client tools) and nowhere else.
 */
public record PgEndpoint(String role, String host, int port, String user, Secret password, String sslMode, String sslRootCert) {

    public PgEndpoint {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(user, "user");
        password = password == null ? Secret.none() : password;
        sslMode = sslMode == null ? "prefer" : sslMode;
    }

    public static PgEndpoint of(String role, String host, int port, String user, Secret password) {
        return new PgEndpoint(role, host, port, user, password, "prefer", null);
    }

    /** The JDBC URL, which never holds the password. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + hostForUrl() + ":" + port + "/" + urlEncode(database);
    }

    private String hostForUrl() {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    /**
     * The output settings every pgshift session starts with (PgJDBC's {@code options}: GUCs in the startup packet, which a
     * walsender honours too, so pgoutput prints values under them). A role or database may set others ({@code ALTER ROLE ...
     * SET IntervalStyle = 'sql_standard'}, {@code extra_float_digits = 0}, {@code bytea_output = 'escape'}, a TimeZone with
     * seconds in its offsets), and Debezium's parsers and pgshift's text values depend on these: ISO dates, the
     * {@code postgres} interval style, UTC, floats printed exactly (extra_float_digits 3: exact on PostgreSQL 10 and 11 too),
     * hex bytea and C money.
     */
    public static final String SESSION_OPTIONS = "-c DateStyle=ISO,MDY -c IntervalStyle=postgres -c TimeZone=UTC -c extra_float_digits=3"
            + " -c bytea_output=hex -c lc_monetary=C";

    public Properties driverProperties(String applicationName) {
        Properties props = new Properties();
        props.setProperty("options", SESSION_OPTIONS);
        props.setProperty("user", user);
        if (password.isPresent()) {
            props.setProperty("password", password.reveal());
        }
        props.setProperty("sslmode", sslMode);
        if (sslRootCert != null) {
            props.setProperty("sslrootcert", sslRootCert);
        }
        props.setProperty("ApplicationName", applicationName);
        props.setProperty("connectTimeout", "10");
        props.setProperty("tcpKeepAlive", "true");
        return props;
    }

    /** Opens a connection; a failure names the server, the database and the user, and says what to check. */
    public Connection connect(String database, String applicationName) throws SQLException {
        try {
            return DriverManager.getConnection(jdbcUrl(database), driverProperties(applicationName));
        }
        catch (SQLException e) {
            throw new SQLException("Cannot connect to the " + role + " PostgreSQL server at " + host + ":" + port + ", database '" + database
                    + "', as user '" + user + "': " + e.getMessage() + ". " + hintFor(e.getSQLState()), e.getSQLState(), e);
        }
    }

    private String hintFor(String sqlState) {
        if (sqlState == null) {
            return "Check " + role + ".host and " + role + ".port in the configuration.";
        }
        if (sqlState.startsWith("08")) {
            return "Check that the server runs and accepts TCP connections there (" + role + ".host, " + role + ".port, listen_addresses, pg_hba.conf, firewalls).";
        }
        if (sqlState.startsWith("28")) {
            return "Check " + role + ".user and " + role + ".password, and pg_hba.conf on the server.";
        }
        if ("3D000".equals(sqlState)) {
            return "Check the database name under 'databases' in the configuration.";
        }
        return "";
    }

    /** Environment for libpq client tools ({@code pg_dump}, {@code psql}): the password travels here, never on a command line. */
    public Map<String, String> libpqEnvironment(String database) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PGHOST", host);
        env.put("PGPORT", Integer.toString(port));
        env.put("PGUSER", user);
        env.put("PGDATABASE", database);
        env.put("PGSSLMODE", sslMode);
        if (sslRootCert != null) {
            env.put("PGSSLROOTCERT", sslRootCert);
        }
        if (password.isPresent()) {
            env.put("PGPASSWORD", password.reveal());
        }
        env.put("PGCONNECT_TIMEOUT", "10");
        return env;
    }

    private static String urlEncode(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Override
    public String toString() {
        return role + " " + user + "@" + host + ":" + port + " (sslmode " + sslMode + ", password " + password + ")";
    }
}
