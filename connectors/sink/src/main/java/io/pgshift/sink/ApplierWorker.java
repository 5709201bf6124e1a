package io.pgshift.sink;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.core.change.ChangeEvent;
import io.pgshift.core.change.ChangeRecordCodec;

/**
 * One worker of a {@link KafkaApplierLoop}: drives a {@link ChangeApplier} from a plain {@link KafkaConsumer}: polls the table topics, applies each
 * poll in one target transaction, and on every assignment seeks to the watermark stored in the target.
 * Kafka's committed offsets follow the target (for monitoring with standard tools) but are never trusted
 * for resuming.
 */
final class ApplierWorker implements Runnable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApplierWorker.class);

    private static final long COMMIT_INTERVAL_NANOS = 1_000_000_000L;

    private final ApplierConfig config;
    private final ChangeApplier applier;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private final Map<TopicPartition, Long> applied = new java.util.concurrent.ConcurrentHashMap<>();
    private final StreamGate gate;
    /** Partitions held by the closed gate, with the offset of the change record they wait at. */
    private final Map<TopicPartition, Long> held = new java.util.concurrent.ConcurrentHashMap<>();
    /** Partitions paused at a schema change that is held or waits for its other partitions, or at a change the target lacks columns for. */
    private final Map<TopicPartition, ChangeApplier.DdlWait> ddlWaits = new java.util.concurrent.ConcurrentHashMap<>();
    private long lastWaitCheckNanos;
    /** The topics to subscribe to: the configuration's, and those of tables that joined since. */
    private volatile List<String> topics;
    private List<String> subscribed;
    /**
     * Offsets applied but not yet committed to the consumer group. The target's watermark is what resuming reads; the group's
     * offsets are for Kafka's lag tools, so they are committed at most once a second rather than after every batch.
     */
    private final Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
    private long lastCommitNanos = System.nanoTime();
    private boolean gateWasOpen;
    private volatile boolean stopping;

    ApplierWorker(ApplierConfig config, ApplierStats stats, int index, StreamGate gate) {
        this.config = config;
        this.topics = List.copyOf(config.topics());
        this.gate = gate;
        this.gateWasOpen = gate.isOpen();
        this.applier = new ChangeApplier(config.target(), config.database(), config.source(), config.sourceDatabase(), "pgshift-applier", stats,
                Clock.systemUTC());
        Map<String, Object> props = new HashMap<>(config.kafkaProperties());
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, config.groupId() + ".consumer-" + index);
        // Static membership: after a crash, the restarted worker takes its predecessor's place in the group at once, instead of every
        // partition waiting for the dead member's session to time out (45 s by default), which a cutover resumed after a crash would
        // add to the downtime. Only one pgshift runs a migration (the replication slot is exclusive), so the ids never meet twice.
        props.putIfAbsent(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, config.groupId() + ".worker-" + index);
        props.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "15000");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(config.maxPollRecords()));
        props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, "900000");
        // Bounds memory: a poll holds at most this much compressed data, several times that once decompressed (load parts).
        props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(4 * 1024 * 1024));
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(2 * 1024 * 1024));
        // Spread every topic's partitions over the workers: the default (range) gives partition 0 of each table's topic to the first.
        props.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, org.apache.kafka.clients.consumer.RoundRobinAssignor.class.getName());
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public void run() {
        try {
            while (!stopping) {
                if (topics != subscribed) {
                    subscribed = topics;
                    consumer.subscribe(subscribed, new Rebalance());
                }
                boolean gateOpen = gate.isOpen();
                if (gateOpen && !gateWasOpen) {
                    releaseHeld();
                }
                gateWasOpen = gateOpen;
                releaseDdlWaits();
                ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(500));
                if (polled.isEmpty()) {
                    continue;
                }
                List<SourceRecordRef> records = new ArrayList<>(polled.count());
                Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
                Map<TopicPartition, Long> newlyHeld = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> r : polled) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (newlyHeld.containsKey(tp)) {
                        continue;
                    }
                    if (io.pgshift.core.load.LoadPart.isLoadRecord(name -> lastHeader(r, name))) {
                        records.add(SourceRecordRef.ofLoad(new PartitionRef(r.topic(), r.partition()), r.offset(), parseLoad(r), r.value()));
                        commit.put(tp, new OffsetAndMetadata(r.offset() + 1));
                        continue;
                    }
                    ChangeEvent event = parse(r);
                    if (!gateOpen && event != null && event.op() != io.pgshift.core.change.ChangeOp.READ) {
                        newlyHeld.put(tp, r.offset());
                        continue;
                    }
                    records.add(new SourceRecordRef(new PartitionRef(r.topic(), r.partition()), r.offset(), event));
                    commit.put(tp, new OffsetAndMetadata(r.offset() + 1));
                }
                if (!records.isEmpty()) {
                    Map<PartitionRef, ChangeApplier.DdlWait> waits = applier.apply(records);
                    waits.values().forEach(w -> commit.put(new TopicPartition(w.partition().topic(), w.partition().partition()),
                            new OffsetAndMetadata(w.offset())));
                    commit.forEach((tp, om) -> applied.put(tp, om.offset()));
                    toCommit.putAll(commit);
                    waitAt(waits.values());
                }
                commitToKafka(false);
                hold(newlyHeld);
            }
            commitToKafka(true);
            finished.complete(null);
        }
        catch (WakeupException e) {
            finished.complete(null);
        }
        catch (RuntimeException | Error e) {
            LOG.error("The applier of target database '{}' stopped: {}", config.database(), e.toString());
            finished.completeExceptionally(e);
        }
        finally {
            try {
                consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(10)));
            }
            catch (RuntimeException e) {
                LOG.debug("Closing the consumer: {}", e.getMessage());
            }
            applier.close();
        }
    }

    private void commitToKafka(boolean now) {
        if (toCommit.isEmpty() || (!now && System.nanoTime() - lastCommitNanos < COMMIT_INTERVAL_NANOS)) {
            return;
        }
        if (now) {
            try {
                consumer.commitSync(toCommit, Duration.ofSeconds(10));
            }
            catch (RuntimeException e) {
                LOG.debug("Committing the applied offsets to the consumer group: {}", e.getMessage());
            }
        }
        else {
            consumer.commitAsync(new HashMap<>(toCommit), null);
        }
        toCommit.clear();
        lastCommitNanos = System.nanoTime();
    }

    /** Rewinds each partition to the change record it waits at and pauses it until the gate opens. */
    private void hold(Map<TopicPartition, Long> newlyHeld) {
        if (newlyHeld.isEmpty()) {
            return;
        }
        newlyHeld.forEach(consumer::seek);
        consumer.pause(newlyHeld.keySet());
        newlyHeld.forEach((tp, offset) -> applied.merge(tp, offset, Math::max));
        held.putAll(newlyHeld);
        LOG.debug("Applier of target database '{}' holds {} at their first change until the schema's post-data section is in", config.database(),
                newlyHeld.keySet());
    }

    /** Rewinds each partition to the record it waits at (a schema change, see {@link ChangeApplier#apply}) and pauses it. */
    private void waitAt(Collection<ChangeApplier.DdlWait> waits) {
        for (ChangeApplier.DdlWait w : waits) {
            TopicPartition tp = new TopicPartition(w.partition().topic(), w.partition().partition());
            consumer.seek(tp, w.offset());
            consumer.pause(List.of(tp));
            ddlWaits.put(tp, w);
        }
    }

    /** Every quarter second while partitions wait at schema changes: resumes those whose change was applied, resolved or reached by all. */
    private void releaseDdlWaits() {
        if (ddlWaits.isEmpty() || System.nanoTime() - lastWaitCheckNanos < 250_000_000L) {
            return;
        }
        lastWaitCheckNanos = System.nanoTime();
        Set<Long> released = applier.released(ddlWaits.values());
        if (released.isEmpty()) {
            return;
        }
        List<TopicPartition> resume = new ArrayList<>();
        ddlWaits.forEach((tp, w) -> {
            if (released.contains(w.id())) {
                consumer.seek(tp, w.offset());
                resume.add(tp);
            }
        });
        resume.forEach(ddlWaits::remove);
        consumer.resume(resume);
        LOG.debug("Applier of target database '{}' goes on with {} partitions that waited at schema changes {}", config.database(), resume, released);
    }

    /** The gate opened: the target tables now have their keys, so their shapes are read again, and held partitions go on. */
    private void releaseHeld() {
        applier.forgetTargetTables();
        consumer.resume(held.keySet().stream().filter(tp -> !ddlWaits.containsKey(tp)).toList());
        LOG.info("Applier of target database '{}' now applies changes ({} partitions were held)", config.database(), held.size());
        held.clear();
    }

    /** Adds topics to the subscription (taken at the worker's next poll). */
    synchronized void addTopics(Collection<String> more) {
        List<String> all = new ArrayList<>(topics);
        more.stream().filter(t -> !all.contains(t)).forEach(all::add);
        topics = List.copyOf(all);
    }

    Set<TopicPartition> heldPartitions() {
        return Set.copyOf(held.keySet());
    }

    private static byte[] lastHeader(ConsumerRecord<byte[], byte[]> r, String name) {
        org.apache.kafka.common.header.Header h = r.headers().lastHeader(name);
        return h == null ? null : h.value();
    }

    private static io.pgshift.core.load.LoadPart parseLoad(ConsumerRecord<byte[], byte[]> r) {
        try {
            return io.pgshift.core.load.LoadPart.fromHeaders(name -> lastHeader(r, name));
        }
        catch (RuntimeException e) {
            throw new ApplyException("Cannot read the record at " + r.topic() + "-" + r.partition() + " offset " + r.offset()
                    + " as a part of pgshift's bulk load: " + e.getMessage() + ". Is another producer writing to pgshift's topics?", e);
        }
    }

    private static ChangeEvent parse(ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            return null;
        }
        try {
            return ChangeRecordCodec.decode(r.value());
        }
        catch (RuntimeException e) {
            throw new ApplyException("Cannot read the record at " + r.topic() + "-" + r.partition() + " offset " + r.offset()
                    + " as a pgshift change record: " + e.getMessage() + ". Is another producer writing to pgshift's topics?", e);
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // Every applied poll is committed in the target before the next poll: nothing to flush there; the group's offsets
            // of these partitions are committed now. A held partition that comes back is sought to its watermark, which is
            // where it was held, and is held again on the next poll.
            Map<TopicPartition, OffsetAndMetadata> leaving = new HashMap<>();
            partitions.forEach(tp -> {
                OffsetAndMetadata om = toCommit.remove(tp);
                if (om != null) {
                    leaving.put(tp, om);
                }
            });
            if (!leaving.isEmpty()) {
                try {
                    consumer.commitSync(leaving, Duration.ofSeconds(10));
                }
                catch (RuntimeException e) {
                    LOG.debug("Committing the offsets of revoked partitions: {}", e.getMessage());
                }
            }
            partitions.forEach(held::remove);
            partitions.forEach(ddlWaits::remove);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            try {
                Map<PartitionRef, Long> next = applier.nextOffsets(partitions.stream()
                        .map(tp -> new PartitionRef(tp.topic(), tp.partition())).collect(Collectors.toList()));
                List<TopicPartition> fresh = new ArrayList<>();
                for (TopicPartition tp : partitions) {
                    Long offset = next.get(new PartitionRef(tp.topic(), tp.partition()));
                    if (offset == null) {
                        fresh.add(tp);
                    }
                    else {
                        consumer.seek(tp, offset);
                        applied.put(tp, offset);
                    }
                }
                if (!fresh.isEmpty()) {
                    consumer.seekToBeginning(fresh);
                }
                LOG.info("Applier of target database '{}' assigned {} partitions; {} resume from the target's watermark", config.database(),
                        partitions.size(), partitions.size() - fresh.size());
            }
            catch (SQLException e) {
                throw new ApplyException("Cannot read the applier's watermark in target database '" + config.database() + "': " + e.getMessage(), e);
            }
        }
    }

    /** The next offset to apply per partition, as committed in the target. */
    Map<TopicPartition, Long> appliedOffsets() {
        return Map.copyOf(applied);
    }

    String database() {
        return config.database();
    }

    CompletableFuture<Void> finished() {
        return finished;
    }

    @Override
    public void close() {
        stopping = true;
        consumer.wakeup();
    }
}
