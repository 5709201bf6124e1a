package io.pgshift.source;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import io.debezium.function.Predicates;
import io.pgshift.core.MigrationNames;
import io.pgshift.core.PgEndpoint;
import io.pgshift.core.TableId;
import io.pgshift.core.catalog.TableInfo;
import io.pgshift.core.change.ChangeEvent;

/**
 * The Debezium PostgreSQL connector's configuration for one capture, chosen so that no value is lossy:
 * numerics as strings, intervals as ISO strings, binary as bytes, unknown types included.
 */
public final class DebeziumProperties {

    /** Keys pgshift decides itself; {@code debezium.*} in the configuration may not override them. */
    public static final Set<String> OWNED = Set.of("name", "connector.class", "database.hostname", "database.port", "database.user",
            "database.password", "database.dbname", "database.options", "plugin.name", "slot.name", "publication.name", "publication.autocreate.mode",
            "topic.prefix", "table.include.list", "offset.storage", "offset.storage.topic", "bootstrap.servers",
            "decimal.handling.mode", "interval.handling.mode", "binary.handling.mode", "tombstones.on.delete", "skipped.operations",
            "unavailable.value.placeholder", "time.precision.mode", "hstore.handling.mode", "include.unknown.datatypes",
            "snapshot.mode", "message.key.columns", "converters", "event.converting.failure.handling.mode");

    private DebeziumProperties() {
    }

    static Properties build(CaptureConfig config, Collection<TableInfo> tableInfos) {
        return build(config, tableInfos, Set.of());
    }

    /**
     * @param inexactNativeTypes native type OIDs of the columns whose values Debezium does not carry exactly: {@link FromSourceConverter}
     *                         marks them to be read from the source
     */
    static Properties build(CaptureConfig config, Collection<TableInfo> tableInfos, Set<Integer> inexactNativeTypes) {
        return build(config, tableInfos, inexactNativeTypes, null);
    }

    /**
     * @param joinable where schema changes are captured: the selection, whose tables (a table created or renamed into it) Debezium is
     *                 to capture too once the capture adds them to the publication; null otherwise
     */
    static Properties build(CaptureConfig config, Collection<TableInfo> tableInfos, Set<Integer> inexactNativeTypes,
                            io.pgshift.core.TableSelection joinable) {
        List<TableId> tables = tableInfos.stream().map(TableInfo::id).collect(Collectors.toList());
        MigrationNames names = config.names();
        String db = config.database();
        Properties p = new Properties();
        p.setProperty("name", names.connectorName(db));
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");

        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.KafkaOffsetBackingStore");
        p.setProperty("offset.storage.topic", names.offsetsTopic());
        p.setProperty("offset.storage.partitions", "1");
        p.setProperty("offset.storage.replication.factor", Short.toString(config.replicationFactor()));
        p.setProperty("offset.flush.interval.ms", "1000");
        p.setProperty("offset.flush.timeout.ms", "30000");
        p.setProperty("bootstrap.servers", config.bootstrapServers());
        config.kafkaProperties().forEach(p::setProperty);

        p.setProperty("database.hostname", config.source().host());
        p.setProperty("database.port", Integer.toString(config.source().port()));
        p.setProperty("database.user", config.source().user());
        if (config.source().password().isPresent()) {
            p.setProperty("database.password", config.source().password().reveal());
        }
        p.setProperty("database.dbname", db);
        // Debezium's connections, the replication one included, start with pgshift's output settings, whatever the role or the
        // database sets (ALTER ROLE ... SET IntervalStyle = 'sql_standard' broke Debezium's interval parser).
        p.setProperty("database.options", PgEndpoint.SESSION_OPTIONS);
        p.setProperty("database.sslmode", config.source().sslMode());
        if (config.source().sslRootCert() != null) {
            p.setProperty("database.sslrootcert", config.source().sslRootCert());
        }

        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", names.slotName(db));
        p.setProperty("publication.name", names.publicationName(db));
        p.setProperty("publication.autocreate.mode", "disabled");
        p.setProperty("topic.prefix", names.connectorName(db));
        p.setProperty("table.include.list", includeList(tables) + (joinable == null ? "" : "," + selectionList(joinable)));
        requireCaptured(p.getProperty("table.include.list"), tables);
        p.setProperty("snapshot.mode", config.initialLoad() && !config.bulkLoad() ? "initial" : "no_data");
        p.setProperty("message.key.columns", messageKeyColumns(tableInfos));

        p.setProperty("decimal.handling.mode", "string");
        p.setProperty("interval.handling.mode", "string");
        p.setProperty("binary.handling.mode", "bytes");
        p.setProperty("hstore.handling.mode", "json");
        p.setProperty("time.precision.mode", "adaptive");
        p.setProperty("include.unknown.datatypes", "true");
        p.setProperty("converters", "pgshift");
        p.setProperty("pgshift.type", FromSourceConverter.class.getName());
        p.setProperty("pgshift." + FromSourceConverter.NATIVE_TYPES, inexactNativeTypes.stream().map(String::valueOf).collect(Collectors.joining(",")));
        // A value Debezium fails to convert stops the capture, naming the table and column, instead of a WARN and a missing value.
        p.setProperty("event.converting.failure.handling.mode", "fail");
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("skipped.operations", "none");
        p.setProperty("unavailable.value.placeholder", ChangeEvent.UNCHANGED_TOAST_PLACEHOLDER);
        p.setProperty("provide.transaction.metadata", "false");
        // Per change event Debezium hands a lag sample to a thread of its own that keeps quantiles for JMX (statistics.metrics.enabled,
        // on by default): a queue hand-off and a sketch update per change, and a WARN per change once that thread falls behind. pgshift
        // measures the lag itself (the applier's commit-to-commit histogram), so the statistics are off.
        p.setProperty("statistics.metrics.enabled", "false");
        p.setProperty("topic.naming.strategy", CachedTopicNamingStrategy.class.getName());
        p.setProperty("heartbeat.interval.ms", "5000");
        p.setProperty("poll.interval.ms", "20");

        p.setProperty("snapshot.fetch.size", "10240");
        // Each batch is sent and acknowledged by Kafka before the next: 1,024 records keep the end-to-end p99 under 250 ms under
        // a live pgbench on two cores (4,096 gave 500 ms), at about the same catch-up rate.
        p.setProperty("max.batch.size", "1024");
        p.setProperty("max.queue.size", "16384");
        p.setProperty("max.queue.size.in.bytes", Long.toString(64L << 20)); // bounds memory when rows are wide (large TOASTed values)
        p.setProperty("errors.max.retries", "10");
        p.setProperty("errors.retry.delay.initial.ms", "500");
        p.setProperty("errors.retry.delay.max.ms", "10000");

        config.debeziumOverrides().forEach(p::setProperty);
        return p;
    }

    /** Keys of {@link #build} that configure the embedded engine's own Kafka clients and offsets, not the connector. */
    private static final Set<String> ENGINE_ONLY = Set.of("offset.storage", "offset.storage.topic", "offset.storage.partitions",
            "offset.storage.replication.factor", "offset.flush.interval.ms", "offset.flush.timeout.ms", "bootstrap.servers",
            "topic.naming.strategy");

    /**
     * The same connector configuration for a Kafka Connect worker: without the embedded engine's offset storage and Kafka clients (the
     * worker has its own) and its topic naming strategy (Debezium's default gives the same names). The custom converter
     * {@link FromSourceConverter} stays: it marks the values Debezium does not carry exactly, so Debezium never converts them (it
     * fails on some, such as NaN in a numeric[]) and the sink reads them from the source. It is loaded by the Debezium plugin's class
     * loader: the worker needs pgshift's Debezium add-on ({@code pgshift-source-<version>-debezium-addon.zip}) unpacked into that
     * plugin's directory.
     *
     * @param inexactNativeTypes native type OIDs of the columns whose values Debezium does not carry exactly
     * @return the connector's properties, sorted by key
     */
    public static Map<String, String> forConnect(CaptureConfig config, Collection<TableInfo> tableInfos, Set<Integer> inexactNativeTypes) {
        Properties p = build(config, tableInfos, inexactNativeTypes);
        Map<String, String> out = new java.util.TreeMap<>();
        for (String k : p.stringPropertyNames()) {
            if (ENGINE_ONLY.contains(k) || config.kafkaProperties().containsKey(k) && !config.debeziumOverrides().containsKey(k)) {
                continue;
            }
            out.put(k, p.getProperty(k));
        }
        return out;
    }

    /**
     * Debezium matches {@code schema.table} against comma-separated regular expressions, compiled
     * case-insensitively: quote every character that means something there, and turn case-insensitivity
     * off ({@code (?-i)}), so that selecting {@code "Items"} never also captures {@code items}.
     */
    static String includeList(Collection<TableId> tables) {
        return java.util.stream.Stream.concat(tables.stream(), java.util.stream.Stream.of(SourceSetup.FENCE_TABLE, SourceSetup.DDL_TABLE))
                .map(t -> "(?-i)" + escape(t.schema()) + "\\." + escape(t.table()))
                .collect(Collectors.joining(","));
    }

    /**
     * The selection as Debezium include patterns (matched against {@code schema.table} as a whole): per include pattern, its {@code *} as
     * {@code .*}, behind a negative lookahead of every exclude pattern. Only tables in pgshift's publication reach Debezium at all.
     */
    static String selectionList(io.pgshift.core.TableSelection selection) {
        String exclude = selection.exclude().stream().map(DebeziumProperties::globRegex).collect(Collectors.joining("|"));
        return selection.include().stream()
                .map(g -> "(?-i)(?s)" + (exclude.isEmpty() ? "" : "(?!(?:" + exclude + ")$)") + "(?!pgshift\\.)" + globRegex(g))
                .collect(Collectors.joining(","));
    }

    private static String globRegex(String glob) {
        StringBuilder b = new StringBuilder();
        String[] parts = glob.split("\\*", -1);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                b.append(".*");
            }
            b.append(escape(parts[i]));
        }
        return b.toString();
    }

    /**
     * Tables without a primary key but with {@code REPLICA IDENTITY USING INDEX} are keyed by that index's columns
     * ({@code table-regex:column-regex,...;...}). The fence table's key is named too, so the value is never empty.
     */
    static String messageKeyColumns(Collection<TableInfo> tables) {
        StringBuilder b = new StringBuilder("(?-i)pgshift\\.fence:id;(?-i)pgshift\\.ddl:id");
        for (TableInfo t : tables) {
            if (!t.keyedByIdentityIndex()) {
                continue;
            }
            for (String name : concat(List.of(t.id().schema(), t.id().table()), t.keyColumns())) {
                if (name.chars().anyMatch(ch -> ch == ':' || ch == ';' || ch == ',' || Character.isWhitespace(ch))) {
                    throw new IllegalStateException("Table " + t.id() + " has no primary key, and its replica identity index uses the name \""
                            + name + "\", which Debezium's message.key.columns cannot express (it holds ':', ';', ',' or a space)."
                            + " Add a primary key to the table, or set REPLICA IDENTITY FULL.");
                }
            }
            b.append(";(?-i)").append(escape(t.id().schema())).append("\\.").append(escape(t.id().table())).append(':')
                    .append(t.keyColumns().stream().map(DebeziumProperties::escape).collect(Collectors.joining(",")));
        }
        return b.toString();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /**
     * A name as a regular expression that matches exactly it, as Debezium reads its comma-separated lists: characters that mean
     * something in a regular expression are quoted, and white space is written as {@code \\x{..}}, since Debezium trims every entry
     * (a table named {@code "t "} was otherwise never captured).
     */
    private static String escape(String name) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < name.length(); ) {
            int c = name.codePointAt(i);
            i += Character.charCount(c);
            if (Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c)) {
                b.append("\\x{").append(Integer.toHexString(c)).append('}');
                continue;
            }
            if ("\\.[]{}()<>*+-=!?^$|,".indexOf(c) >= 0) {
                b.append('\\');
            }
            b.appendCodePoint(c);
        }
        return b.toString();
    }

    /**
     * Fails when Debezium's own filter would not capture a selected table with this include list: a table left out there has its
     * changes dropped without a word, so this is checked before the capture starts.
     */
    static void requireCaptured(String includeList, Collection<TableId> tables) {
        Predicate<String> filter = Predicates.includes(includeList, Function.identity());
        for (TableId t : tables) {
            if (!filter.test(t.schema() + "." + t.table())) {
                throw new IllegalStateException("Debezium's table.include.list would not capture table " + t + " (its name defeats the list's"
                        + " syntax): its changes would be lost. Rename the table, or leave it out with 'tables.exclude' and copy it separately.");
            }
        }
    }

    /** The properties with every secret masked, for the start-up log. */
    static Map<String, String> masked(Properties p) {
        return p.stringPropertyNames().stream().sorted().collect(Collectors.toMap(k -> k,
                k -> k.contains("password") || k.contains("jaas") || k.contains("secret") ? "******" : p.getProperty(k),
                (a, b) -> a, java.util.LinkedHashMap::new));
    }
}
