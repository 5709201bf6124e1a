package io.pgshift.sink.connect;

import java.util.Map;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import io.pgshift.core.PgEndpoint;
import io.pgshift.core.Secret;

/**
 * The configuration of {@link PgApplierSinkConnector}, declared once: the target database, and optionally
 * the source database, from which values the change stream does not carry exactly are read by key.
 */
public final class PgApplierSinkConfig extends AbstractConfig {

    public static final String TARGET_HOSTNAME = "target.hostname";
    public static final String TARGET_PORT = "target.port";
    public static final String TARGET_USER = "target.user";
    public static final String TARGET_PASSWORD = "target.password";
    public static final String TARGET_DATABASE = "target.database";
    public static final String TARGET_SSLMODE = "target.sslmode";
    public static final String SOURCE_HOSTNAME = "source.hostname";
    public static final String SOURCE_PORT = "source.port";
    public static final String SOURCE_USER = "source.user";
    public static final String SOURCE_PASSWORD = "source.password";
    public static final String SOURCE_DATABASE = "source.database";
    public static final String SOURCE_SSLMODE = "source.sslmode";
    public static final String COMPLETE_OLD_ROW_TOPICS = "complete.old.row.topics";

    private static final String TARGET_GROUP = "Target";
    private static final String SOURCE_GROUP = "Source (exact values)";
    private static final String[] SSL_MODES = { "disable", "allow", "prefer", "require", "verify-ca", "verify-full" };

    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(TARGET_HOSTNAME, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.HIGH,
                    "Host name or address of the target PostgreSQL server.", TARGET_GROUP, 1, ConfigDef.Width.MEDIUM, "Target host")
            .define(TARGET_PORT, Type.INT, 5432, ConfigDef.Range.between(1, 65535), Importance.HIGH,
                    "Port of the target PostgreSQL server.", TARGET_GROUP, 2, ConfigDef.Width.SHORT, "Target port")
            .define(TARGET_USER, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.HIGH,
                    "User the applier connects to the target as; it writes the target tables and creates the schema pgshift"
                            + " (table pgshift.apply_progress, the watermark).", TARGET_GROUP, 3, ConfigDef.Width.MEDIUM, "Target user")
            .define(TARGET_PASSWORD, Type.PASSWORD, null, Importance.HIGH,
                    "Password of the target user (empty: none, or from ~/.pgpass).", TARGET_GROUP, 4, ConfigDef.Width.MEDIUM, "Target password")
            .define(TARGET_DATABASE, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.HIGH,
                    "The target database the records are applied to.", TARGET_GROUP, 5, ConfigDef.Width.MEDIUM, "Target database")
            .define(TARGET_SSLMODE, Type.STRING, "prefer", ConfigDef.ValidString.in(SSL_MODES), Importance.MEDIUM,
                    "libpq sslmode of the target connection.", TARGET_GROUP, 6, ConfigDef.Width.SHORT, "Target sslmode")
            .define(SOURCE_HOSTNAME, Type.STRING, null, Importance.HIGH,
                    "Host of the source PostgreSQL server. Values the Debezium change stream does not carry exactly (money,"
                            + " timetz, varbit, arrays, geometric types other than point, tsquery, extension types; dates of snapshot"
                            + " rows; NaN and infinite floats) are read from the source by primary key. Without a source connection,"
                            + " such a value stops the task with an error that names the table and columns.",
                    SOURCE_GROUP, 1, ConfigDef.Width.MEDIUM, "Source host")
            .define(SOURCE_PORT, Type.INT, 5432, ConfigDef.Range.between(1, 65535), Importance.MEDIUM,
                    "Port of the source PostgreSQL server.", SOURCE_GROUP, 2, ConfigDef.Width.SHORT, "Source port")
            .define(SOURCE_USER, Type.STRING, null, Importance.MEDIUM,
                    "User that reads the source tables (SELECT on them suffices).", SOURCE_GROUP, 3, ConfigDef.Width.MEDIUM, "Source user")
            .define(SOURCE_PASSWORD, Type.PASSWORD, null, Importance.MEDIUM,
                    "Password of the source user.", SOURCE_GROUP, 4, ConfigDef.Width.MEDIUM, "Source password")
            .define(SOURCE_DATABASE, Type.STRING, null, Importance.MEDIUM,
                    "The source database the records come from.", SOURCE_GROUP, 5, ConfigDef.Width.MEDIUM, "Source database")
            .define(SOURCE_SSLMODE, Type.STRING, "prefer", ConfigDef.ValidString.in(SSL_MODES), Importance.LOW,
                    "libpq sslmode of the source connection.", SOURCE_GROUP, 6, ConfigDef.Width.SHORT, "Source sslmode")
            .define(COMPLETE_OLD_ROW_TOPICS, Type.LIST, "", Importance.LOW,
                    "Topics of the tables whose old row images hold every column (REPLICA IDENTITY FULL on the source, or a partitioned"
                            + " table without a key): their updates and deletes find the row by the whole old row where the target has no key"
                            + " it can use (none, or a DEFERRABLE one, which two rows may share inside a source transaction). pgshift's"
                            + " coordinator sets it.", TARGET_GROUP, 7, ConfigDef.Width.LONG, "Complete old-row topics");

    public PgApplierSinkConfig(Map<?, ?> originals) {
        super(CONFIG_DEF, originals, false);
        if (getString(SOURCE_HOSTNAME) != null && (getString(SOURCE_USER) == null || getString(SOURCE_DATABASE) == null)) {
            throw new ConfigException(getString(SOURCE_USER) == null ? SOURCE_USER : SOURCE_DATABASE, null,
                    "is required when " + SOURCE_HOSTNAME + " is set");
        }
    }

    public PgEndpoint target() {
        return endpoint("target", getString(TARGET_HOSTNAME), getInt(TARGET_PORT), getString(TARGET_USER), getPassword(TARGET_PASSWORD),
                getString(TARGET_SSLMODE));
    }

    public String targetDatabase() {
        return getString(TARGET_DATABASE);
    }

    /** The source connection, or {@code null} when none is configured. */
    public PgEndpoint source() {
        String host = getString(SOURCE_HOSTNAME);
        return host == null ? null
                : endpoint("source", host, getInt(SOURCE_PORT), getString(SOURCE_USER), getPassword(SOURCE_PASSWORD), getString(SOURCE_SSLMODE));
    }

    /** The topics whose records carry complete old rows ({@link #COMPLETE_OLD_ROW_TOPICS}). */
    public java.util.Set<String> completeOldRowTopics() {
        return java.util.Set.copyOf(getList(COMPLETE_OLD_ROW_TOPICS));
    }

    public String sourceDatabase() {
        return getString(SOURCE_DATABASE);
    }

    private static PgEndpoint endpoint(String role, String host, int port, String user, Password password, String sslMode) {
        return new PgEndpoint(role, host, port, user, password == null ? Secret.none() : Secret.of(password.value()), sslMode, null);
    }
}
