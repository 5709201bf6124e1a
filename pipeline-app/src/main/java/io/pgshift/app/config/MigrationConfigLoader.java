package io.pgshift.app.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.pgshift.core.PgEndpoint;
import io.pgshift.core.Secret;
import io.pgshift.core.TableSelection;

/**
 * Reads {@code migration.yaml}: substitutes {@code ${VAR}} from the environment, rejects unknown keys,
 * applies defaults, validates every value against its declaration in {@link MigrationConfigDef}, and
 * reports the first problem with the key's path and what a valid value looks like.
 */
public final class MigrationConfigLoader {

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");
    /**
     * A bare {@code ${VAR}} that is a whole value, as in {@code { password: ${PW} }}: YAML ends a plain
     * value at a brace inside {@code { }}, so it is quoted before parsing (and substituted after).
     */
    private static final Pattern BARE_VARIABLE = Pattern.compile(
            "(:\\s+|[\\[{,]\\s*|^\\s*-\\s+)(\\$\\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}\"'\\n]*)?})(?=\\s*(?:[,}\\]]|#|$))", Pattern.MULTILINE);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final Function<String, String> environment;

    public MigrationConfigLoader(Function<String, String> environment) {
        this.environment = environment;
    }

    public static MigrationConfig load(Path file) {
        if (!Files.isReadable(file)) {
            throw new ConfigException(null, "Cannot read the configuration file " + file.toAbsolutePath()
                    + ": check the path given with -c (config/migration.example.yaml is an example)");
        }
        try {
            return new MigrationConfigLoader(System::getenv).parse(Files.readString(file), file.getFileName().toString());
        }
        catch (IOException e) {
            throw new ConfigException(null, "Cannot read the configuration file " + file + ": " + e.getMessage());
        }
    }

    public MigrationConfig parse(String yaml, String origin) {
        JsonNode root;
        try {
            root = YAML.readTree(BARE_VARIABLE.matcher(yaml).replaceAll("$1\"$2\""));
        }
        catch (JsonProcessingException e) {
            throw new ConfigException(null, origin + " is not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")" : ""));
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(null, origin + " must be a YAML mapping of keys (see config/migration.example.yaml)");
        }
        checkKeys((ObjectNode) root, "", "");

        String name = (String) value(root, "name", "name");
        PgEndpoint source = endpoint(root, "source");
        PgEndpoint target = endpoint(root, "target");

        List<MigrationConfig.DatabaseMapping> databases = new ArrayList<>();
        JsonNode dbs = root.get("databases");
        value(root, "databases", "databases");
        for (int i = 0; i < dbs.size(); i++) {
            JsonNode item = dbs.get(i);
            String at = "databases[" + i + "]";
            if (!item.isObject()) {
                throw new ConfigException(at, "each database is a mapping such as { source: shop, target: shop }");
            }
            checkKeys((ObjectNode) item, "databases[]", at);
            String src = (String) value(item, "databases[].source", at + ".source");
            String tgt = (String) value(item, "databases[].target", at + ".target");
            databases.add(new MigrationConfig.DatabaseMapping(src, tgt == null ? src : tgt));
        }
        long distinctTargets = databases.stream().map(MigrationConfig.DatabaseMapping::target).distinct().count();
        if (distinctTargets != databases.size()) {
            throw new ConfigException("databases", "two source databases map to the same target database; give each a target of its own");
        }

        @SuppressWarnings("unchecked")
        TableSelection tables = new TableSelection((List<String>) value(root, "tables.include", "tables.include"),
                (List<String>) value(root, "tables.exclude", "tables.exclude"));
        @SuppressWarnings("unchecked")
        Map<String, String> kafkaProps = (Map<String, String>) value(root, "kafka.properties", "kafka.properties");
        MigrationConfig.Kafka kafka = new MigrationConfig.Kafka((String) value(root, "kafka.bootstrap", "kafka.bootstrap"),
                (Integer) value(root, "kafka.partitionsPerTable", "kafka.partitionsPerTable"),
                ((Integer) value(root, "kafka.replicationFactor", "kafka.replicationFactor")).shortValue(), kafkaProps,
                (String) value(root, "kafka.format", "kafka.format"), schemaRegistry(root));
        MigrationConfig.Connect connect = connect(root, kafka);
        @SuppressWarnings("unchecked")
        Map<String, String> debezium = (Map<String, String>) value(root, "debezium", "debezium");
        return new MigrationConfig(name, source, target, List.copyOf(databases), tables, kafka, Path.of((String) value(root, "workDir", "workDir")),
                ((Integer) value(root, "capture.heartbeatIntervalMs", "capture.heartbeatIntervalMs")).longValue(),
                (Integer) value(root, "apply.maxBatchRecords", "apply.maxBatchRecords"),
                (Integer) value(root, "apply.workers", "apply.workers"), debezium,
                (Integer) value(root, "check.longTransactionSeconds", "check.longTransactionSeconds"),
                new MigrationConfig.Coordination((String) value(root, "http.host", "http.host"), (Integer) value(root, "http.port", "http.port"),
                        (Integer) value(root, "cutover.readyMaxPending", "cutover.readyMaxPending"),
                        (Integer) value(root, "status.publishIntervalMs", "status.publishIntervalMs")),
                new MigrationConfig.Load((String) value(root, "load.method", "load.method"), (Integer) value(root, "load.readers", "load.readers"),
                        (Integer) value(root, "load.chunkMegabytes", "load.chunkMegabytes"),
                        (Integer) value(root, "load.slotWalWarnMegabytes", "load.slotWalWarnMegabytes"),
                        (Integer) value(root, "load.indexJobs", "load.indexJobs")),
                new MigrationConfig.ValidationSettings((String) value(root, "cutover.validation", "cutover.validation"),
                        (Integer) value(root, "validation.chunkRows", "validation.chunkRows"),
                        (Integer) value(root, "validation.threads", "validation.threads"),
                        (Integer) value(root, "validation.maxChangedRows", "validation.maxChangedRows")), connect,
                "auto".equals(value(root, "capture.ddl", "capture.ddl")));
    }

    private MigrationConfig.SchemaRegistry schemaRegistry(JsonNode root) {
        value(root, "kafka.schemaRegistry", "kafka.schemaRegistry");
        String url = (String) value(root, "kafka.schemaRegistry.url", "kafka.schemaRegistry.url");
        String converter = (String) value(root, "kafka.schemaRegistry.converter", "kafka.schemaRegistry.converter");
        String user = (String) value(root, "kafka.schemaRegistry.user", "kafka.schemaRegistry.user");
        Secret password = (Secret) value(root, "kafka.schemaRegistry.password", "kafka.schemaRegistry.password");
        return url == null ? null : new MigrationConfig.SchemaRegistry(url, converter, user, password == null ? Secret.none() : password);
    }

    private MigrationConfig.Connect connect(JsonNode root, MigrationConfig.Kafka kafka) {
        value(root, "connect", "connect");
        String url = (String) value(root, "connect.url", "connect.url");
        String user = (String) value(root, "connect.user", "connect.user");
        Secret password = (Secret) value(root, "connect.password", "connect.password");
        int tasks = (Integer) value(root, "connect.sinkTasks", "connect.sinkTasks");
        String atCompletion = (String) value(root, "connect.atCompletion", "connect.atCompletion");
        if (url == null) {
            if (locate(root, "connect") != null && !locate(root, "connect").isMissingNode() && !locate(root, "connect").isNull()) {
                throw new ConfigException("connect.url", "is missing: the connect section streams through a Kafka Connect cluster at this REST"
                        + " URL, for example url: http://connect:8083");
            }
            if (kafka.avro()) {
                throw new ConfigException("kafka.format", "avro needs connect.url: it is the format of the connectors on Kafka Connect;"
                        + " pgshift's own capture writes its compact record format (remove kafka.format, or set connect.url)");
            }
            return null;
        }
        if (kafka.embedded()) {
            throw new ConfigException("kafka.bootstrap", "is 'embedded', but connect.url streams through a Kafka Connect cluster: set"
                    + " kafka.bootstrap to that cluster's brokers");
        }
        if (kafka.partitionsPerTable() > 1) {
            throw new ConfigException("kafka.partitionsPerTable", "must be 1 with connect.url: on Kafka Connect the Debezium connector's records are"
                    + " placed by Kafka's partitioner (a hash of the key), so a TRUNCATE would not be a barrier across partitions and a table with"
                    + " another unique index could conflict; raise connect.sinkTasks for parallel apply across tables instead");
        }
        if ("debezium".equals(value(root, "load.method", "load.method"))) {
            throw new ConfigException("load.method", "debezium does not go with connect.url: on Kafka Connect pgshift loads the tables itself"
                    + " (load.method copy), then the connectors stream from the load's consistent point; remove load.method");
        }
        if (kafka.avro() && kafka.schemaRegistry() == null) {
            throw new ConfigException("kafka.schemaRegistry.url", "is missing: kafka.format avro keeps its schemas in a schema registry, for"
                    + " example url: http://registry:8081");
        }
        return new MigrationConfig.Connect(url, user, password == null ? Secret.none() : password, tasks, "delete".equals(atCompletion));
    }

    private PgEndpoint endpoint(JsonNode root, String role) {
        value(root, role, role);
        String sslRootCert = (String) value(root, role + ".sslrootcert", role + ".sslrootcert");
        return new PgEndpoint(role, (String) value(root, role + ".host", role + ".host"), (Integer) value(root, role + ".port", role + ".port"),
                (String) value(root, role + ".user", role + ".user"), (Secret) value(root, role + ".password", role + ".password"),
                (String) value(root, role + ".sslmode", role + ".sslmode"), sslRootCert);
    }

    /** Unknown keys are errors; the message lists the valid keys and the likely one meant. */
    private void checkKeys(ObjectNode node, String declaredParent, String actualParent) {
        List<ConfigKey> allowed = MigrationConfigDef.children(declaredParent);
        for (Map.Entry<String, JsonNode> f : node.properties()) {
            String declared = declaredParent.isEmpty() ? f.getKey() : declaredParent + "." + f.getKey();
            String actual = actualParent.isEmpty() ? f.getKey() : actualParent + "." + f.getKey();
            ConfigKey key = MigrationConfigDef.keys().get(declared);
            if (key == null) {
                List<String> names = allowed.stream().map(ConfigKey::leaf).collect(Collectors.toList());
                String near = closest(f.getKey(), names);
                throw new ConfigException(actual, "unknown key" + (near != null ? " (did you mean '" + near + "'?)" : "") + ". Valid keys "
                        + (actualParent.isEmpty() ? "at the top level" : "under '" + actualParent + "'") + ": " + String.join(", ", names));
            }
            if (key.type() == ConfigKey.Type.OBJECT && f.getValue().isObject()) {
                checkKeys((ObjectNode) f.getValue(), declared, actual);
            }
        }
    }

    /** Reads, defaults, converts and validates one key. */
    private Object value(JsonNode root, String declared, String actual) {
        ConfigKey key = MigrationConfigDef.keys().get(declared);
        JsonNode node = locate(root, declared);
        if (node == null || node.isNull() || node.isMissingNode()) {
            if (key.required()) {
                throw new ConfigException(actual, "is missing. " + key.doc() + (key.example() != null ? " For example: " + key.leaf() + ": " + key.example() : ""));
            }
            if (key.defaultValue() == null) {
                return key.type() == ConfigKey.Type.SECRET ? Secret.none() : null;
            }
            try {
                node = YAML.readTree(key.defaultValue());
            }
            catch (JsonProcessingException e) {
                throw new IllegalStateException("Bad default of " + declared, e);
            }
        }
        Object value = convert(key, node, actual);
        try {
            key.validator().accept(value);
        }
        catch (IllegalArgumentException e) {
            throw new ConfigException(actual, e.getMessage());
        }
        return value;
    }

    private JsonNode locate(JsonNode root, String declared) {
        if (declared.startsWith("databases[].")) {
            return root.get(declared.substring("databases[].".length()));
        }
        JsonNode node = root;
        for (String part : declared.split("\\.")) {
            if (node == null || !node.isObject()) {
                return null;
            }
            node = node.get(part);
        }
        return node;
    }

    private Object convert(ConfigKey key, JsonNode node, String actual) {
        switch (key.type()) {
            case STRING:
                requireScalar(node, actual, "a text value");
                if (node.isBoolean()) {
                    // YAML 1.1 reads an unquoted off/on (no/yes) as a boolean: give a key whose choices are words that word back.
                    try {
                        key.validator().accept(node.asText());
                    }
                    catch (IllegalArgumentException e) {
                        return node.booleanValue() ? "on" : "off";
                    }
                }
                return substitute(node.asText(), actual);
            case SECRET:
                requireScalar(node, actual, "a text value");
                return Secret.of(substitute(node.asText(), actual));
            case INT:
                String text = substitute(node.asText(), actual);
                if (!node.isValueNode() || !text.trim().matches("-?\\d{1,10}")) {
                    throw new ConfigException(actual, "'" + text + "' is not a whole number");
                }
                return Integer.parseInt(text.trim());
            case STRING_LIST:
                if (!node.isArray()) {
                    throw new ConfigException(actual, "must be a list, for example " + key.example());
                }
                List<String> list = new ArrayList<>();
                for (JsonNode item : node) {
                    requireScalar(item, actual, "a list of text values");
                    list.add(substitute(item.asText(), actual));
                }
                return List.copyOf(list);
            case STRING_MAP:
                if (!node.isObject()) {
                    throw new ConfigException(actual, "must be a mapping of keys to values");
                }
                Map<String, String> map = new LinkedHashMap<>();
                node.properties().forEach(e -> {
                    requireScalar(e.getValue(), actual + "." + e.getKey(), "a text value");
                    map.put(e.getKey(), substitute(e.getValue().asText(), actual + "." + e.getKey()));
                });
                return Map.copyOf(map);
            case OBJECT:
                if (!node.isObject()) {
                    throw new ConfigException(actual, "must be a mapping of keys: " + MigrationConfigDef.children(key.path()).stream()
                            .map(ConfigKey::leaf).collect(Collectors.joining(", ")));
                }
                return node;
            case OBJECT_LIST:
                if (!node.isArray()) {
                    throw new ConfigException(actual, "must be a list, for example [{ source: shop, target: shop }]");
                }
                List<JsonNode> items = new ArrayList<>();
                node.forEach(items::add);
                return items;
            default:
                throw new IllegalStateException(key.type().toString());
        }
    }

    private static void requireScalar(JsonNode node, String actual, String what) {
        if (!node.isValueNode()) {
            throw new ConfigException(actual, "must be " + what);
        }
    }

    private String substitute(String text, String actual) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = environment.apply(m.group(1));
            if (value == null) {
                if (m.group(2) == null) {
                    throw new ConfigException(actual, "refers to the environment variable " + m.group(1)
                            + ", which is not set: export it before starting pgshift, or write ${" + m.group(1) + ":-default}");
                }
                value = m.group(3);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    static String closest(String word, List<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(word.toLowerCase(), c.toLowerCase());
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        return bestDistance <= Math.max(2, word.length() / 3) ? best : null;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
