package io.pgshift.source;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import io.pgshift.core.load.LoadPart;

/** Reads the state of a load topic. */
final class LoadTopic {

    private LoadTopic() {
    }

    /**
     * Whether the latest load on the topic is complete in Kafka: the last record of every partition is an {@code end} record of the same
     * load. A load that was interrupted has parts (or its {@code start} records) after the previous load's {@code end} records.
     */
    static boolean completed(Map<String, Object> clientProperties, String topic) {
        Map<String, Object> props = new HashMap<>(clientProperties);
        props.remove("client.id");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                return false;
            }
            List<TopicPartition> partitions = new ArrayList<>();
            infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            String loadId = null;
            for (TopicPartition tp : partitions) {
                long end = ends.getOrDefault(tp, 0L);
                if (end == 0) {
                    return false;
                }
                consumer.assign(List.of(tp));
                consumer.seek(tp, end - 1);
                ConsumerRecord<byte[], byte[]> last = null;
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (last == null && System.nanoTime() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        last = r;
                    }
                }
                if (last == null) {
                    return false;
                }
                Header type = last.headers().lastHeader(LoadPart.TYPE);
                Header id = last.headers().lastHeader(LoadPart.LOAD_ID);
                if (type == null || id == null || !"end".equals(new String(type.value(), java.nio.charset.StandardCharsets.UTF_8))) {
                    return false;
                }
                String thisId = new String(id.value(), java.nio.charset.StandardCharsets.UTF_8);
                if (loadId != null && !loadId.equals(thisId)) {
                    return false;
                }
                loadId = thisId;
            }
            return true;
        }
    }
}
