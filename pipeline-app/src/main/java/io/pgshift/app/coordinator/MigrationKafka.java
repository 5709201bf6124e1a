package io.pgshift.app.coordinator;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.CommonClientConfigs;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.source.Topics;

/** How pgshift's commands reach the Kafka of a migration: its cluster, or the embedded broker of the running {@code pgshift migrate}. */
public final class MigrationKafka {

    /** The status topic keeps a week of snapshots and events. */
    private static final Map<String, String> STATUS_TOPIC = Map.of("retention.ms", Long.toString(7L * 24 * 3600 * 1000), "cleanup.policy", "delete");

    private MigrationKafka() {
    }

    /**
     * The bootstrap servers: {@code kafka.bootstrap}, or for the embedded broker the port the running {@code pgshift migrate} listens
     * on (kept in its work directory).
     */
    public static String bootstrap(MigrationConfig config) {
        if (!config.kafka().embedded()) {
            return config.kafka().bootstrap();
        }
        Path ports = config.workDir().resolve("kafka").resolve("ports.properties");
        if (!Files.isReadable(ports)) {
            throw new IllegalStateException("Migration '" + config.name() + "' uses the embedded Kafka broker, and its work directory " + config.workDir()
                    + " has none yet: start 'pgshift migrate -c <this file>' first (this command talks to the running migration).");
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(ports)) {
            p.load(r);
        }
        catch (IOException e) {
            throw new IllegalStateException("Cannot read " + ports + ": " + e.getMessage(), e);
        }
        return "127.0.0.1:" + p.getProperty("broker");
    }

    /** Client properties: {@code kafka.properties} plus the bootstrap servers and a client id. */
    public static Map<String, Object> clientProperties(MigrationConfig config, String bootstrap, String clientId) {
        Map<String, Object> props = new HashMap<>(config.kafka().properties());
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        props.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        props.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return props;
    }

    /** Creates the control topic (commands kept for good) and the status topic (a week) when missing, one partition each. */
    static void ensureTopics(org.apache.kafka.clients.admin.Admin admin, MigrationConfig config) throws InterruptedException {
        short rf = config.kafka().embedded() ? 1 : config.kafka().replicationFactor();
        try {
            Topics.ensure(admin, List.of(config.names().controlTopic()), 1, rf);
            Topics.ensure(admin, List.of(config.names().statusTopic()), 1, rf, STATUS_TOPIC);
        }
        catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot create the control and status topics of migration '" + config.name() + "': "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
    }
}
