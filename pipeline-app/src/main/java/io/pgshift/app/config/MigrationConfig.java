package io.pgshift.app.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.pgshift.core.MigrationNames;
import io.pgshift.core.PgEndpoint;
import io.pgshift.core.TableSelection;

/** A validated {@code migration.yaml}, with typed accessors. Built by {@link MigrationConfigLoader}. */
public record MigrationConfig(String name, PgEndpoint source, PgEndpoint target, List<DatabaseMapping> databases, TableSelection tables,
                              Kafka kafka, Path workDir, long heartbeatIntervalMs, int maxBatchRecords, int applyWorkers,
                              Map<String, String> debezium, int longTransactionSeconds, Coordination coordination, Load load,
                              ValidationSettings validation, Connect connect, boolean captureDdl) {

    /**
     * Streaming through a Kafka Connect cluster ({@code connect.*}).
     *
     * @param url       the Connect REST API
     * @param user      its basic-auth user, or null
     * @param password  its basic-auth password
     * @param sinkTasks tasks.max of each sink connector
     * @param deleteAtCompletion delete the connectors at COMPLETED (false: stop them)
     */
    public record Connect(String url, String user, io.pgshift.core.Secret password, int sinkTasks, boolean deleteAtCompletion) {
    }

    /**
     * The schema registry of {@code kafka.format: avro}.
     *
     * @param converter "confluent" or "apicurio"
     */
    public record SchemaRegistry(String url, String converter, String user, io.pgshift.core.Secret password) {
    }

    /** Whether the changes stream through Kafka Connect ({@code connect.url} set) rather than this process. */
    public boolean viaConnect() {
        return connect != null;
    }

    /**
     * How the initial load runs.
     *
     * @param method             "copy" (pgshift's bulk snapshot) or "debezium" (Debezium's snapshot, as row events)
     * @param readers            source connections copying in parallel
     * @param chunkMegabytes     table data per chunk
     * @param slotWalWarnMegabytes a warning past this much source WAL held back by the slot during the load
     */
    public record Load(String method, int readers, int chunkMegabytes, int slotWalWarnMegabytes, int indexJobs) {
    }

    /**
     * The coordinator: its HTTP status server, when it calls the migration ready to cut over, how often it publishes status.
     *
     * @param httpPort 0 for any free port, -1 for no HTTP server
     */
    public record Coordination(String httpHost, int httpPort, int readyMaxPending, int statusIntervalMs) {
    }

    /**
     * Validation in chunks.
     *
     * @param cutoverMode    "changed" (the rows changed since the online pass) or "full" (every chunk again) while frozen
     * @param chunkRows      rows per chunk, about
     * @param threads        chunks compared at once
     * @param maxChangedRows a table is validated online again past this many changed rows; four times this many keys are kept at most
     */
    public record ValidationSettings(String cutoverMode, int chunkRows, int threads, int maxChangedRows) {

        public boolean full() {
            return "full".equals(cutoverMode);
        }
    }

    /** One source database and the target database it goes to. */
    public record DatabaseMapping(String source, String target) {
    }

    /** Where Kafka is. */
    public record Kafka(String bootstrap, int partitionsPerTable, short replicationFactor, Map<String, String> properties, String format,
                        SchemaRegistry schemaRegistry) {

        public boolean avro() {
            return "avro".equals(format);
        }

        public boolean embedded() {
            return "embedded".equals(bootstrap);
        }
    }

    public MigrationNames names() {
        return new MigrationNames(name);
    }

    /** The effective configuration for the start-up log: every secret masked. */
    public String describe() {
        return "migration '" + name + "': source " + source + ", target " + target + ", databases "
                + databases.stream().map(d -> d.source() + " -> " + d.target()).collect(Collectors.joining(", "))
                + ", tables " + tables + ", kafka " + kafka.bootstrap() + " (" + kafka.partitionsPerTable() + " partitions per table, replication "
                + kafka.replicationFactor() + ", properties " + masked(kafka.properties()) + "), workDir " + workDir
                + (connect != null ? ", via Kafka Connect at " + connect.url() + " (" + kafka.format() + (kafka.avro() ? ", registry "
                + kafka.schemaRegistry().url() : "") + ")" : "") + ", heartbeat every " + heartbeatIntervalMs + " ms, batches of up to " + maxBatchRecords + " records, " + applyWorkers + " apply workers, debezium " + masked(debezium);
    }

    static Map<String, String> masked(Map<String, String> props) {
        return props.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> isSecretKey(e.getKey()) ? "******" : e.getValue(),
                (a, b) -> a, java.util.TreeMap::new));
    }

    static boolean isSecretKey(String key) {
        String k = key.toLowerCase(java.util.Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("jaas") || k.contains("token") || k.contains("key");
    }
}
