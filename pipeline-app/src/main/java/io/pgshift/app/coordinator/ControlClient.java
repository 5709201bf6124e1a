package io.pgshift.app.coordinator;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import com.fasterxml.jackson.databind.JsonNode;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.core.control.ControlCommand;

/**
 * What {@code pgshift cutover}, {@code validate} and {@code status} use to talk to a running migration: the status topic to see
 * it, the control topic to command it.
 */
public final class ControlClient implements AutoCloseable {

    private final MigrationConfig config;
    private final String bootstrap;
    private final StatusTopic.Reader reader;
    private KafkaProducer<String, byte[]> producer;

    public ControlClient(MigrationConfig config) {
        this.config = config;
        this.bootstrap = MigrationKafka.bootstrap(config);
        try {
            this.reader = new StatusTopic.Reader(config, bootstrap);
        }
        catch (org.apache.kafka.common.KafkaException e) {
            throw new IllegalStateException("Cannot reach Kafka at " + bootstrap + " for migration '" + config.name() + "': " + e.getMessage()
                    + (config.kafka().embedded() ? ". The embedded broker runs inside 'pgshift migrate': is it running?" : ""), e);
        }
    }

    /** The newest status snapshot, if any was published. */
    public Optional<JsonNode> latestStatus() {
        return Optional.ofNullable(reader.latest(500).get(MigrationStatus.TYPE));
    }

    /** How old a status snapshot is. */
    public static Duration age(JsonNode status) {
        return Duration.between(Instant.parse(status.get("updatedAt").asText()), Instant.now());
    }

    /**
     * Whether a coordinator runs: its newest status is not its last ({@code running}) and recent enough (three publish intervals and
     * 10 s of slack).
     */
    public boolean isLive(JsonNode status) {
        return status.path("running").asBoolean(false) && age(status).toMillis() < 3L * config.coordination().statusIntervalMs() + 10_000;
    }

    /**
     * The newest status of a running coordinator.
     *
     * @throws IllegalStateException naming the migration and how to start it, when none runs
     */
    public JsonNode requireLive() {
        Optional<JsonNode> status = latestStatus();
        if (status.isEmpty()) {
            throw new IllegalStateException("Migration '" + config.name() + "' has published no status yet: start it with 'pgshift migrate -c <this file>'.");
        }
        if (!isLive(status.get())) {
            throw new IllegalStateException("Migration '" + config.name() + "' is not running: its last status is from " + age(status.get()).toSeconds()
                    + " s ago (phase " + status.get().get("phase").asText() + "). Start 'pgshift migrate' again first.");
        }
        return status.get();
    }

    /** Sends a command on the control topic; events published from now on can be followed with {@link #await}. */
    public void send(ControlCommand command) throws InterruptedException {
        reader.seekToEnd();
        if (producer == null) {
            Map<String, Object> props = MigrationKafka.clientProperties(config, bootstrap, "pgshift." + config.name() + ".control-client");
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
            producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        }
        try {
            producer.send(new ProducerRecord<>(config.names().controlTopic(), command.id(), command.toJson())).get(30, TimeUnit.SECONDS);
        }
        catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot send the " + command.type().wireName() + " command to " + config.names().controlTopic() + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
    }

    /**
     * Reads status records until one matches {@code until} (returned) or the timeout passes (empty); every record read is given to
     * {@code seen} first.
     */
    public Optional<JsonNode> await(Predicate<JsonNode> until, Consumer<JsonNode> seen, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<JsonNode> records = reader.poll(Duration.ofMillis(500));
            for (JsonNode r : records) {
                seen.accept(r);
                if (until.test(r)) {
                    return Optional.of(r);
                }
            }
        }
        return Optional.empty();
    }

    /** Whether a record is an event about this command. */
    public static boolean isEventOf(JsonNode record, String commandId, String... events) {
        if (!"event".equals(text(record, "type")) || !commandId.equals(text(record, "commandId"))) {
            return false;
        }
        return events.length == 0 || List.of(events).contains(text(record, "event"));
    }

    public static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    @Override
    public void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
        reader.close();
    }
}
