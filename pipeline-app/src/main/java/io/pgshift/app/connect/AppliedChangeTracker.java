package io.pgshift.app.connect;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.storage.Converter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.core.TableId;
import io.pgshift.core.catalog.TableInfo;
import io.pgshift.core.change.ChangeEvent;
import io.pgshift.core.change.DebeziumChangeParser;
import io.pgshift.sink.AvroFieldNames;
import io.pgshift.sink.ChangedRows;

/**
 * On Kafka Connect, the sink's applied changes as the validation needs them ({@link ChangedRows}): the coordinator reads the table
 * topics with the connectors' own converters, but only up to the sink's watermark in the target, so that every change is recorded after
 * the target committed it, as pgshift's own applier records it. A partition whose next record is not applied yet is paused until the
 * watermark passes it. Reads its own copy of the topics (no consumer group, nothing committed); what it holds is bounded by one fetch.
 * It also counts the changes per table and their latency for the status (source commit to seen applied, which is within about 0.2 s
 * of the sink's commit).
 */
final class AppliedChangeTracker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AppliedChangeTracker.class);

    private final ConnectStreaming.Lane lane;
    private final ChangedRows changed;
    private final io.pgshift.sink.ApplierStats stats;
    private final Callable<Map<TopicPartition, Long>> watermarks;
    private final Converter keys;
    private final Converter values;
    private final Map<TableId, Map<String, String>> names = new HashMap<>();
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private volatile boolean closed;

    /**
     * @param converters  the connectors' {@code key.converter*} and {@code value.converter*} settings
     * @param watermarks  reads the sink's watermarks in the target now (next offset to apply, per partition)
     * @throws ClassNotFoundException when a converter class is not on this process's class path
     */
    AppliedChangeTracker(ConnectStreaming.Lane lane, Map<String, String> converters, Map<String, Object> consumerProps, List<TableInfo> tables,
                         io.pgshift.sink.ApplierStats stats, Callable<Map<TopicPartition, Long>> watermarks) throws ReflectiveOperationException {
        this.lane = lane;
        this.stats = stats;
        this.changed = stats.changedRows();
        this.watermarks = watermarks;
        this.keys = converter(converters, "key.converter", true);
        this.values = converter(converters, "value.converter", false);
        for (TableInfo t : tables) {
            names.put(t.id(), AvroFieldNames.reverse(t.keyColumns()));
        }
        Map<String, Object> props = new HashMap<>(consumerProps);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::run, "pgshift-applied-" + lane.db().source());
        this.thread.setDaemon(true);
    }

    private static Converter converter(Map<String, String> settings, String prefix, boolean isKey) throws ReflectiveOperationException {
        Converter c = (Converter) Class.forName(settings.get(prefix)).getDeclaredConstructor().newInstance();
        Map<String, String> props = new HashMap<>();
        settings.forEach((k, v) -> {
            if (k.startsWith(prefix + ".")) {
                props.put(k.substring(prefix.length() + 1), v);
            }
        });
        c.configure(props, isKey);
        return c;
    }

    void start() {
        thread.start();
    }

    private void run() {
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : lane.tableTopics()) {
                for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                    partitions.add(new TopicPartition(topic, p.partition()));
                }
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> wm = watermarks.call();
            // Everything before the watermark now was applied before the tracking began: the validation's passes start after.
            for (TopicPartition tp : partitions) {
                consumer.seek(tp, wm.getOrDefault(tp, 0L));
            }
            Set<TopicPartition> paused = new HashSet<>();
            long readAt = 0;
            while (!closed) {
                if (System.nanoTime() - readAt > 200_000_000L) {
                    try {
                        wm = watermarks.call();
                    }
                    catch (SQLException e) {
                        // The target is away for a moment: nothing is recorded until its watermarks can be read again.
                        LOG.debug("Reading the sink's watermarks of '{}': {}", lane.db().source(), e.getMessage());
                        Thread.sleep(1000);
                        continue;
                    }
                    readAt = System.nanoTime();
                    for (TopicPartition tp : partitions) {
                        boolean behind = consumer.position(tp) < wm.getOrDefault(tp, 0L);
                        if (behind && paused.remove(tp)) {
                            consumer.resume(List.of(tp));
                        }
                        else if (!behind && paused.add(tp)) {
                            consumer.pause(List.of(tp));
                        }
                    }
                }
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                if (records.isEmpty()) {
                    continue;
                }
                List<ChangeEvent> applied = new ArrayList<>();
                for (TopicPartition tp : records.partitions()) {
                    long limit = wm.getOrDefault(tp, 0L);
                    for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                        if (r.offset() >= limit) {
                            // Not applied yet: read again once the watermark passed it.
                            consumer.seek(tp, r.offset());
                            consumer.pause(List.of(tp));
                            paused.add(tp);
                            break;
                        }
                        ChangeEvent e = parse(r);
                        if (e != null) {
                            applied.add(e);
                        }
                    }
                }
                changed.record(applied);
                long now = System.currentTimeMillis();
                for (ChangeEvent e : applied) {
                    stats.recordApplied(e.table(), e.op(), e.commitTimeMs(), false, now);
                }
            }
        }
        catch (WakeupException e) {
            // closing
        }
        catch (Exception e) {
            if (!closed) {
                // Changes from now on are not recorded: every table's keys become incomplete, so the cutover compares them whole.
                LOG.warn("Reading the applied changes of '{}' from Kafka stopped ({}): the cutover compares its tables chunk by chunk", lane.db().source(),
                        e.toString());
                changed.markAllIncomplete();
            }
        }
        finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** The record's change with its key columns under their column names (Avro writes some names escaped, {@link AvroFieldNames}). */
    private ChangeEvent parse(ConsumerRecord<byte[], byte[]> r) {
        SchemaAndValue k = keys.toConnectData(r.topic(), r.headers(), r.key());
        SchemaAndValue v = values.toConnectData(r.topic(), r.headers(), r.value());
        ChangeEvent e = DebeziumChangeParser.parse(k.schema(), k.value(), v.schema(), v.value());
        if (e == null) {
            return null;
        }
        Map<String, String> rename = names.get(e.table());
        if (rename == null || rename.isEmpty() || e.key().keySet().stream().noneMatch(rename::containsKey)) {
            return e;
        }
        Map<String, String> key = new java.util.LinkedHashMap<>();
        e.key().forEach((name, value) -> key.put(rename.getOrDefault(name, name), value));
        return new ChangeEvent(e.table(), e.op(), key, Map.of(), e.position(), e.commitTimeMs());
    }

    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
        try {
            thread.join(10_000);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
