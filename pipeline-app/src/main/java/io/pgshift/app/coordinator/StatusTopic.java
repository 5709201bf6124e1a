package io.pgshift.app.coordinator;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.pgshift.app.config.MigrationConfig;

/**
 * The status topic {@code pgshift.<name>.status}: JSON records keyed by their {@code type}: {@code status} (a
 * {@link MigrationStatus} snapshot), {@code event} (a {@link StatusEvent}: commands accepted or rejected, cutover steps) and
 * {@code report} (a {@link CutoverReport}). The coordinator writes it; {@code pgshift status}, {@code cutover} and {@code validate}
 * read it, and so can any Kafka consumer.
 */
public final class StatusTopic {

    private static final Logger LOG = LoggerFactory.getLogger(StatusTopic.class);
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper COMPACT = new ObjectMapper();

    private StatusTopic() {
    }

    /** A notable moment: a command accepted or rejected, a cutover step, a validation result. */
    public record StatusEvent(String type, String migration, String at, String event, String commandId, String message, Object detail) {

        public static StatusEvent of(String migration, String event, String commandId, String message, Object detail) {
            return new StatusEvent("event", migration, Instant.now().toString(), event, commandId, message, detail);
        }
    }

    /** Writes records to the status topic. */
    static final class Publisher implements AutoCloseable {
        private final KafkaProducer<String, byte[]> producer;
        private final String topic;

        Publisher(MigrationConfig config, String bootstrap) {
            Map<String, Object> props = MigrationKafka.clientProperties(config, bootstrap, "pgshift." + config.name() + ".status-publisher");
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
            props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
            this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
            this.topic = config.names().statusTopic();
        }

        void publish(String type, Object value) {
            try {
                producer.send(new ProducerRecord<>(topic, type, COMPACT.writeValueAsBytes(value)), (md, e) -> {
                    if (e != null) {
                        LOG.warn("Could not publish a {} record to {}: {}", type, topic, e.getMessage());
                    }
                });
            }
            catch (JsonProcessingException | RuntimeException e) {
                LOG.warn("Could not publish a {} record to {}: {}", type, topic, e.getMessage());
            }
        }

        void flush() {
            producer.flush();
        }

        @Override
        public void close() {
            producer.close(Duration.ofSeconds(5));
        }
    }

    /** Reads the status topic: the newest record of each type, then what comes after. */
    public static final class Reader implements AutoCloseable {
        private final KafkaConsumer<String, byte[]> consumer;
        private final TopicPartition partition;

        public Reader(MigrationConfig config, String bootstrap) {
            Map<String, Object> props = MigrationKafka.clientProperties(config, bootstrap, "pgshift." + config.name() + ".status-reader");
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
            this.partition = new TopicPartition(config.names().statusTopic(), 0);
            if (!topicExists(consumer, partition.topic())) {
                consumer.close();
                throw new IllegalStateException("Kafka has no status topic " + partition.topic() + ": migration '" + config.name()
                        + "' has not started yet. Start it with 'pgshift migrate -c <this file>'.");
            }
            consumer.assign(List.of(partition));
        }

        /** Whether the topic exists; a topic created a moment ago may take a few hundred ms to show in the metadata. */
        private static boolean topicExists(KafkaConsumer<String, byte[]> consumer, String topic) {
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (true) {
                if (!consumer.partitionsFor(topic, Duration.ofSeconds(15)).isEmpty()) {
                    return true;
                }
                if (System.nanoTime() > deadline) {
                    return false;
                }
                try {
                    Thread.sleep(200);
                }
                catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }

        /** The newest record of each type among the last {@code lookback} records; afterwards {@link #poll} returns only newer ones. */
        public Map<String, JsonNode> latest(int lookback) {
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            consumer.seek(partition, Math.max(0, end - lookback));
            Map<String, JsonNode> latest = new HashMap<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (consumer.position(partition) < end) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Could not read the status topic " + partition.topic() + " to its end within 30 s");
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    JsonNode node = read(r.value());
                    if (node != null && node.hasNonNull("type")) {
                        latest.put(node.get("type").asText(), node);
                    }
                }
            }
            return latest;
        }

        /** Starts reading at the current end: {@link #poll} returns what is published from now on. */
        public void seekToEnd() {
            consumer.seekToEnd(List.of(partition));
            consumer.position(partition);
        }

        public List<JsonNode> poll(Duration timeout) {
            List<JsonNode> out = new ArrayList<>();
            for (ConsumerRecord<String, byte[]> r : consumer.poll(timeout)) {
                JsonNode node = read(r.value());
                if (node != null) {
                    out.add(node);
                }
            }
            return out;
        }

        private static JsonNode read(byte[] value) {
            try {
                return value == null ? null : COMPACT.readTree(value);
            }
            catch (java.io.IOException e) {
                return null; // not ours: the topic is open to any producer
            }
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Pretty JSON of any status record. */
    public static String pretty(Object value) {
        try {
            return JSON.writeValueAsString(value);
        }
        catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
