package io.pgshift.source;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The source offset the capture last committed to Kafka (Connect's offset topic format: key
 * {@code ["<connector name>", {partition}]}, value the offset as JSON). pgshift reads it before
 * starting to know whether the initial load completed, and deletes it to start a load again.
 */
record CommittedOffset(byte[] key, JsonNode value) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Debezium's rule: an offset of the initial snapshot that never recorded its completion. */
    boolean initialLoadInProgress() {
        return value.has("snapshot") && !value.path("snapshot_completed").asBoolean(false);
    }

    /** The offset committed for this connector, or empty when there is none (or it was deleted). */
    static Optional<CommittedOffset> read(Map<String, Object> clientProperties, String topic, String connectorName) {
        Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (partitions == null || partitions.isEmpty()) {
                return Optional.empty();
            }
            List<TopicPartition> tps = new ArrayList<>();
            partitions.forEach(p -> tps.add(new TopicPartition(topic, p.partition())));
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps, Duration.ofSeconds(30));
            CommittedOffset latest = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Could not read the offset topic " + topic + " to its end within 60 s");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.key() == null || !connectorName.equals(connectorOf(r.key()))) {
                        continue;
                    }
                    latest = r.value() == null ? null : new CommittedOffset(r.key(), JSON.readTree(r.value()));
                }
            }
            return Optional.ofNullable(latest);
        }
        catch (java.io.IOException e) {
            throw new IllegalStateException("The offset topic " + topic + " holds a record that is not JSON: " + e.getMessage(), e);
        }
    }

    private static String connectorOf(byte[] key) throws java.io.IOException {
        JsonNode k = JSON.readTree(key);
        return k.isArray() && k.size() > 0 ? k.get(0).asText() : null;
    }

    /** Writes a tombstone for this offset: the connector then starts as if for the first time. */
    void delete(Map<String, Object> clientProperties, String topic) {
        Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key, null)).get(30, TimeUnit.SECONDS);
        }
        catch (Exception e) {
            throw new IllegalStateException("Could not delete the capture's offset in " + topic + ": " + e.getMessage(), e);
        }
    }
}
