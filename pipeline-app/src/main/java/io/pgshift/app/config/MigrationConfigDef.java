package io.pgshift.app.config;

import static io.pgshift.app.config.ConfigKey.Type.INT;
import static io.pgshift.app.config.ConfigKey.Type.OBJECT;
import static io.pgshift.app.config.ConfigKey.Type.OBJECT_LIST;
import static io.pgshift.app.config.ConfigKey.Type.SECRET;
import static io.pgshift.app.config.ConfigKey.Type.STRING;
import static io.pgshift.app.config.ConfigKey.Type.STRING_LIST;
import static io.pgshift.app.config.ConfigKey.Type.STRING_MAP;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import io.pgshift.core.TableSelection;
import io.pgshift.source.DebeziumProperties;

/** Every key of {@code migration.yaml}, declared once. */
public final class MigrationConfigDef {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,29}");
    private static final Pattern HOST_PORT = Pattern.compile("[^,\\s:]+:\\d{1,5}(,[^,\\s:]+:\\d{1,5})*");
    static final Set<String> SSL_MODES = Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

    private static final Map<String, ConfigKey> KEYS = new LinkedHashMap<>();

    static {
        add(ConfigKey.required("name", STRING, "The migration's name. The replication slot, the publication, the Kafka topics and consumer groups, and"
                + " the work directory's contents are named after it.", "shop", v -> {
                    if (!NAME.matcher((String) v).matches()) {
                        throw new IllegalArgumentException("'" + v + "' is not a valid name: use 1 to 30 lower-case letters, digits and underscores,"
                                + " starting with a letter (for example shop or billing_2024)");
                    }
                }));
        endpoint("source", "5432");
        endpoint("target", "5432");
        add(ConfigKey.required("databases", OBJECT_LIST, "The databases to migrate, each mapped to a target database.", null, v -> {
            if (((List<?>) v).isEmpty()) {
                throw new IllegalArgumentException("list at least one database, for example [{ source: shop }]");
            }
        }));
        add(ConfigKey.required("databases[].source", STRING, "A database on the source server.", "shop", MigrationConfigDef::nonBlank));
        add(ConfigKey.optional("databases[].target", STRING, null, "Its name on the target server; the same name when left out."
                + " It is created when missing.", "shop", MigrationConfigDef::nonBlank));
        add(ConfigKey.section("tables", OBJECT, "Which tables move."));
        add(ConfigKey.optional("tables.include", STRING_LIST, "[\"*.*\"]", "Patterns schema.table of the tables to migrate; * matches any"
                + " characters. pgshift's own schema is never migrated.", "[\"public.*\"]", MigrationConfigDef::patterns));
        add(ConfigKey.optional("tables.exclude", STRING_LIST, "[]", "Patterns of tables to leave out, even when an include pattern matches them.",
                "[\"public.audit_*\"]", MigrationConfigDef::patterns));
        add(ConfigKey.section("kafka", OBJECT, "Where the change records travel."));
        add(ConfigKey.optional("kafka.bootstrap", STRING, "embedded", "'embedded' runs a single-node Kafka broker inside pgshift, with its data"
                + " in the work directory; or the bootstrap servers of your cluster, host:port[,host:port...].", "embedded", v -> {
                    String s = (String) v;
                    if (!"embedded".equals(s) && !HOST_PORT.matcher(s).matches()) {
                        throw new IllegalArgumentException("'" + s + "' is neither 'embedded' nor a list host:port[,host:port...]");
                    }
                }));
        add(ConfigKey.optional("kafka.partitionsPerTable", INT, "1", "Partitions of each table's topic, set when the topics are created."
                + " With more than 1, the changes of a table whose order only matters per row (an integer or uuid key, and no other unique"
                + " index or exclusion constraint) are spread over them by key, so that apply.workers appliers apply one hot table in"
                + " parallel, each row's changes in order, and a TRUNCATE reaches every partition in its place; other tables keep partition 0."
                + " Set it to apply.workers or more for a write-heavy table.", "1", range(1, 1000)));
        add(ConfigKey.optional("kafka.replicationFactor", INT, "1", "Replication factor of the topics pgshift creates (use 3 on a production"
                + " cluster; the embedded broker has 1).", "1", range(1, 16)));
        add(ConfigKey.optional("kafka.properties", STRING_MAP, "{}", "Extra properties for every Kafka client pgshift creates (producer,"
                + " consumer, admin), such as security.protocol or sasl.jaas.config. Values may use ${VAR}.", "{}", v -> { }));
        add(ConfigKey.optional("kafka.format", STRING, "json", "How the Debezium connector and the pgshift sink on Kafka Connect write and read"
                + " the table topics (only with connect.url; pgshift's own capture writes its compact record format): 'json' (Connect's"
                + " JsonConverter with schemas) or 'avro' (the Confluent wire format, schemas in kafka.schemaRegistry).", "json", oneOf("a format", "json", "avro")));
        add(ConfigKey.section("kafka.schemaRegistry", OBJECT, "The schema registry of kafka.format avro (Confluent REST API)."));
        add(ConfigKey.optional("kafka.schemaRegistry.url", STRING, null, "Its URL as the Connect workers reach it: Confluent Schema Registry"
                + " (http://registry:8081), or Apicurio Registry's API (http://registry:8080/apis/registry/v2 with converter apicurio).",
                "http://registry:8081", MigrationConfigDef::httpUrl));
        add(ConfigKey.optional("kafka.schemaRegistry.converter", STRING, "confluent", "The Avro converter on the workers: 'confluent'"
                + " (io.confluent.connect.avro.AvroConverter) or 'apicurio' (io.apicurio.registry.utils.converter.AvroConverter, which writes"
                + " the same Confluent wire format).", "confluent", oneOf("a converter", "confluent", "apicurio")));
        add(ConfigKey.optional("kafka.schemaRegistry.user", STRING, null, "User of the registry's basic authentication.", "pgshift",
                MigrationConfigDef::nonBlank));
        add(ConfigKey.optional("kafka.schemaRegistry.password", SECRET, null, "Its password; ${VARIABLE} reads it from the environment. It"
                + " never appears in logs or status (it is in the connectors' configuration on the Connect cluster).",
                "${REGISTRY_PASSWORD}", v -> { }));
        add(ConfigKey.section("connect", OBJECT, "Stream through your Kafka Connect cluster instead of this process: after the schema and the"
                + " bulk load, the coordinator creates a Debezium PostgreSQL source connector and a pgshift sink connector per database"
                + " through the Connect REST API, watches them, and runs the status, control topic and cutover as in a single process."));
        add(ConfigKey.optional("connect.url", STRING, null, "The Connect REST API, http(s)://host:port of any worker. Every worker needs"
                + " the Debezium PostgreSQL connector and the pgshift sink plugin on its plugin.path.", "http://connect:8083",
                MigrationConfigDef::httpUrl));
        add(ConfigKey.optional("connect.user", STRING, null, "User of the REST API's basic authentication.", "pgshift",
                MigrationConfigDef::nonBlank));
        add(ConfigKey.optional("connect.password", SECRET, null, "Its password; ${VARIABLE} reads it from the environment.",
                "${CONNECT_PASSWORD}", v -> { }));
        add(ConfigKey.optional("connect.sinkTasks", INT, "2", "tasks.max of each sink connector: the Connect tasks that apply a database"
                + " in parallel, each partition in order by one of them.", "2", range(1, 64)));
        add(ConfigKey.optional("connect.atCompletion", STRING, "delete", "What happens to the connectors once a cutover completes:"
                + " 'delete' them, or 'stop' them (kept, stopped, for inspection).", "delete", oneOf("an action", "delete", "stop")));
        add(ConfigKey.optional("workDir", STRING, ".pgshift", "The work directory: the embedded broker's data, reports.", ".pgshift",
                MigrationConfigDef::nonBlank));
        add(ConfigKey.section("capture", OBJECT, "The capture of changes on the source."));
        add(ConfigKey.optional("capture.heartbeatIntervalMs", INT, "10000", "How often a heartbeat row is written to pgshift.fence on the"
                + " source, which keeps the slot advancing on an idle database; 0 turns it off.", "10000", range(0, 3_600_000)));
        add(ConfigKey.optional("capture.ddl", STRING, "auto", "Schema changes on the source during the migration: 'auto' installs pgshift's"
                + " DDL capture (event triggers writing each command to pgshift.ddl, which travels in the publication) where the source role"
                + " is a superuser, and applies the changes pgshift carries (ALTER TABLE, CREATE TABLE, CREATE/DROP INDEX, ALTER TYPE ... ADD"
                + " VALUE, types and domains, DROP TABLE, COMMENT) to the target at their place in the stream; a table created in the selection"
                + " joins the migration, and a change pgshift does not carry holds only its tables until 'pgshift ddl apply|skip'. 'off'"
                + " installs nothing (a change record with a column the target lacks then holds its table). Not with connect.url."
                + " 'pgshift cleanup' removes the capture.", "auto", oneOf("a choice", "auto", "off")));
        add(ConfigKey.section("load", OBJECT, "The initial load of the tables' rows."));
        add(ConfigKey.optional("load.method", STRING, "copy", "'copy': pgshift's bulk snapshot. It creates the replication slot with an exported"
                + " snapshot, parallel readers COPY the tables out of it in chunks, the chunks travel as COPY data on the topic"
                + " pgshift.<name>.<db>.load, and the applier COPYs them in; changes stream from the slot's consistent point."
                + " 'debezium': Debezium's own snapshot, one row event per row on the table topics (much slower).", "copy", v -> {
                    if (!"copy".equals(v) && !"debezium".equals(v)) {
                        throw new IllegalArgumentException("'" + v + "' is not a load method; use copy or debezium");
                    }
                }));
        add(ConfigKey.optional("load.readers", INT, "4", "Source connections that copy chunks in parallel (method copy).", "4", range(1, 64)));
        add(ConfigKey.optional("load.chunkMegabytes", INT, "32", "Table data per chunk (method copy). Larger tables are split into key ranges"
                + " of a single integer primary key, or on PostgreSQL 14 and later into ranges of heap blocks; other tables are one chunk.",
                "32", range(1, 1_048_576)));
        add(ConfigKey.optional("load.indexJobs", INT, "2", "Indexes, constraints and foreign keys the post-data section builds at once"
                + " after the load (pg_restore --jobs; PostgreSQL also builds each B-tree index with parallel workers). With 2 or more, what"
                + " a failed attempt built is dropped and built again by the next; 1 applies the section in one transaction instead.", "2",
                range(1, 32)));
        add(ConfigKey.optional("load.slotWalWarnMegabytes", INT, "10240", "A warning is logged when the replication slot holds back more"
                + " source WAL than this while the load runs (the source's disk fills with it).", "10240", range(1, Integer.MAX_VALUE)));
        add(ConfigKey.section("apply", OBJECT, "The applier on the target."));
        add(ConfigKey.optional("apply.maxBatchRecords", INT, "5000", "The most records applied in one target transaction.", "5000",
                range(1, 1_000_000)));
        add(ConfigKey.optional("apply.workers", INT, "2", "Appliers per target database running in parallel, each with its own"
                + " Kafka consumer and target connection; Kafka spreads the table topics' partitions over them, and each partition is"
                + " applied in order by one of them.", "2", range(1, 64)));
        add(ConfigKey.section("check", OBJECT, "The prerequisite checks ('pgshift check', and 'pgshift migrate' before it starts)."));
        add(ConfigKey.optional("check.longTransactionSeconds", INT, "300", "A source transaction open longer than this is reported: creating"
                + " the replication slot waits until every transaction running then has ended, and it holds back the snapshot.", "300",
                range(1, 86_400)));
        add(ConfigKey.section("http", OBJECT, "The coordinator's HTTP server: / (a live page of the migration), /status (JSON),"
                + " /metrics (Prometheus), /healthz."));
        add(ConfigKey.optional("http.host", STRING, "127.0.0.1", "The address it listens on; 0.0.0.0 for every interface (it has no"
                + " authentication: expose it only to your network).", "127.0.0.1", MigrationConfigDef::nonBlank));
        add(ConfigKey.optional("http.port", INT, "8432", "Its port; 0 picks a free one (logged), -1 turns the server off.", "8432",
                range(-1, 65535)));
        add(ConfigKey.section("cutover", OBJECT, "When the migration is ready to cut over."));
        add(ConfigKey.optional("cutover.readyMaxPending", INT, "1000", "The phase becomes READY_TO_CUTOVER once the full load is complete and"
                + " fewer than this many changes wait in Kafka to be applied. A cutover is accepted in any phase after the full load; it"
                + " always waits until nothing at all is pending.", "1000", range(0, 100_000_000)));
        add(ConfigKey.optional("cutover.validation", STRING, "changed", "What the cutover validates while the source is frozen."
                + " 'changed': the rows changed since their chunk was last found equal online (the online validation compares every chunk"
                + " while changes stream), the chunks never found equal, and tables without a key that changed since; the downtime then grows"
                + " with the changes of the last minutes, not with the data. 'full': every chunk of every table again, so the downtime grows with"
                + " the data (about the time 'pgshift validate' takes, spread over validation.threads on each server).", "changed", oneOf("a cutover validation", "changed", "full")));
        add(ConfigKey.section("validation", OBJECT, "Validation in chunks: online while changes stream, on demand ('pgshift validate'), and at"
                + " the cutover."));
        add(ConfigKey.optional("validation.chunkRows", INT, "100000", "Rows per chunk (about): a table is split into ranges of its key, each"
                + " compared as a row count and a checksum of every row on each server. A differing chunk is read into memory (keys and"
                + " row hashes) to name its differing rows.", "100000", range(100, 10_000_000)));
        add(ConfigKey.optional("validation.threads", INT, "2", "Chunks compared at once, each on one source and one target connection.",
                "2", range(1, 64)));
        add(ConfigKey.optional("validation.maxChangedRows", INT, "100000", "A table is validated online again once this many of its rows"
                + " changed since its last pass. The applier keeps at most four times as many changed keys, all tables together (about 150"
                + " bytes of heap each); a table whose keys no longer fit is passed again, and until then the cutover compares it whole.",
                "100000", range(1, 500_000)));
        add(ConfigKey.section("status", OBJECT, "The status topic pgshift.<name>.status."));
        add(ConfigKey.optional("status.publishIntervalMs", INT, "2000", "How often a status snapshot is published to the status topic (also"
                + " on every phase change).", "2000", range(200, 600_000)));
        add(ConfigKey.optional("debezium", STRING_MAP, "{}", "Extra properties for the Debezium PostgreSQL connector (for example"
                + " snapshot.fetch.size). The properties pgshift sets itself cannot be overridden.", "{}", v -> {
                    for (Object k : ((Map<?, ?>) v).keySet()) {
                        if (DebeziumProperties.OWNED.contains(k.toString())) {
                            throw new IllegalArgumentException("'" + k + "' is set by pgshift and cannot be overridden; remove it");
                        }
                    }
                }));
    }

    private MigrationConfigDef() {
    }

    private static void endpoint(String role, String defaultPort) {
        add(ConfigKey.required(role, OBJECT, "How to reach the " + role + " PostgreSQL server.", null, v -> { }));
        add(ConfigKey.required(role + ".host", STRING, "Host name or address of the " + role + " server.", "127.0.0.1", MigrationConfigDef::nonBlank));
        add(ConfigKey.optional(role + ".port", INT, defaultPort, "Its port.", defaultPort, range(1, 65535)));
        add(ConfigKey.required(role + ".user", STRING, "The user pgshift connects as" + ("source".equals(role)
                ? "; it needs REPLICATION (or superuser) and SELECT on the migrated tables." : "; it needs to create tables and write them."),
                "postgres", MigrationConfigDef::nonBlank));
        add(ConfigKey.optional(role + ".password", SECRET, null, "Its password. Write ${VARIABLE} to read it from the environment;"
                + " it never appears in logs or messages.", "${" + role.toUpperCase() + "_PASSWORD}", v -> { }));
        add(ConfigKey.optional(role + ".sslmode", STRING, "prefer", "libpq's sslmode: disable, allow, prefer, require, verify-ca or verify-full.",
                "prefer", v -> {
                    if (!SSL_MODES.contains(v)) {
                        throw new IllegalArgumentException("'" + v + "' is not an sslmode; use one of disable, allow, prefer, require, verify-ca, verify-full");
                    }
                }));
        add(ConfigKey.optional(role + ".sslrootcert", STRING, null, "File of the root certificate(s) to verify the server with (verify-ca, verify-full).",
                "/etc/ssl/certs/pg-root.crt", v -> {
                    if (!java.nio.file.Files.isReadable(java.nio.file.Path.of((String) v))) {
                        throw new IllegalArgumentException("file '" + v + "' does not exist or cannot be read");
                    }
                }));
    }

    private static void add(ConfigKey key) {
        KEYS.put(key.path(), key);
    }

    public static Map<String, ConfigKey> keys() {
        return KEYS;
    }

    /** The keys directly below a path ("" for the top; "databases[]" for list items). */
    static List<ConfigKey> children(String parent) {
        List<ConfigKey> out = new ArrayList<>();
        for (ConfigKey k : KEYS.values()) {
            if (k.parent().equals(parent)) {
                out.add(k);
            }
        }
        return out;
    }

    private static void nonBlank(Object v) {
        if (((String) v).isBlank()) {
            throw new IllegalArgumentException("must not be empty");
        }
    }

    private static void httpUrl(Object v) {
        String s = (String) v;
        java.net.URI uri;
        try {
            uri = java.net.URI.create(s);
        }
        catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + s + "' is not a URL: " + e.getMessage());
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException("'" + s + "' is not an http(s)://host:port URL");
        }
        if (uri.getUserInfo() != null) {
            throw new IllegalArgumentException("put the credentials in the user and password keys, not in the URL");
        }
    }

    /** Accepts one of two values; otherwise says "'x' is not {what}; use a or b". */
    private static Consumer<Object> oneOf(String what, String a, String b) {
        return v -> {
            if (!List.of(a, b).contains(v)) {
                throw new IllegalArgumentException("'" + v + "' is not " + what + "; use " + a + " or " + b);
            }
        };
    }

    private static Consumer<Object> range(int min, int max) {
        return v -> {
            int i = (Integer) v;
            if (i < min || i > max) {
                throw new IllegalArgumentException(i + " is out of range: use a whole number from " + min + " to " + max);
            }
        };
    }

    private static void patterns(Object v) {
        for (Object p : (List<?>) v) {
            TableSelection.validatePattern(String.valueOf(p));
        }
    }
}
