package io.pgshift.sink.connect;

import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.core.change.ChangeEvent;
import io.pgshift.sink.ApplierStats;
import io.pgshift.sink.ApplyException;
import io.pgshift.sink.ChangeApplier;
import io.pgshift.core.change.DebeziumChangeParser;
import io.pgshift.sink.PartitionRef;
import io.pgshift.sink.SourceRecordRef;

/**
 * Applies each {@link #put} in one target transaction, with the watermark of every partition in it. On
 * {@link #open} the partitions seek to the target's watermark; {@link #preCommit} hands Connect only the
 * offsets whose records the target committed. A record the target refuses fails the task with the table,
 * key, offset and SQLState; nothing after it is applied, and a restart resumes from it.
 */
public final class PgApplierSinkTask extends SinkTask {

    private static final Logger LOG = LoggerFactory.getLogger(PgApplierSinkTask.class);

    private ChangeApplier applier;
    private java.util.Set<String> completeOldRowTopics = java.util.Set.of();
    private final Map<TopicPartition, Long> committed = new ConcurrentHashMap<>();

    @Override
    public void start(Map<String, String> props) {
        PgApplierSinkConfig config = new PgApplierSinkConfig(props);
        completeOldRowTopics = config.completeOldRowTopics();
        applier = new ChangeApplier(config.target(), config.targetDatabase(), config.source(), config.sourceDatabase(),
                "pgshift-sink-connector", new ApplierStats(), Clock.systemUTC());
        LOG.info("pgshift sink task applying to {} database '{}'{}", config.target(), config.targetDatabase(),
                config.source() == null ? " (no source connection: values not carried exactly will stop the task)"
                        : ", reading inexact values from " + config.source() + " database '" + config.sourceDatabase() + "'");
    }

    @Override
    public void open(Collection<TopicPartition> partitions) {
        try {
            Map<PartitionRef, Long> next = applier.nextOffsets(partitions.stream().map(PgApplierSinkTask::ref).collect(Collectors.toList()));
            Map<TopicPartition, Long> seek = new HashMap<>();
            for (TopicPartition tp : partitions) {
                Long offset = next.get(ref(tp));
                if (offset != null) {
                    seek.put(tp, offset);
                    committed.put(tp, offset);
                }
            }
            context.offset(seek);
            LOG.info("Opened {} partitions; {} resume from the target's watermark", partitions.size(), seek.size());
        }
        catch (SQLException e) {
            throw new ConnectException("Cannot read the applier's watermark (pgshift.apply_progress) in the target: " + e.getMessage(), e);
        }
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        releaseWaits();
        if (records.isEmpty()) {
            return;
        }
        List<SourceRecordRef> refs = new ArrayList<>(records.size());
        Map<TopicPartition, Long> next = new HashMap<>();
        for (SinkRecord r : records) {
            TopicPartition tp = new TopicPartition(r.topic(), r.kafkaPartition());
            refs.add(new SourceRecordRef(new PartitionRef(r.topic(), r.kafkaPartition()), r.kafkaOffset(), parse(r)));
            next.put(tp, r.kafkaOffset() + 1);
        }
        Map<PartitionRef, io.pgshift.sink.ChangeApplier.DdlWait> waits;
        try {
            waits = applier.apply(refs);
        }
        catch (ApplyException e) {
            throw new ConnectException(e.getMessage(), e);
        }
        waits.values().forEach(w -> next.put(new TopicPartition(w.partition().topic(), w.partition().partition()), w.offset()));
        committed.putAll(next);
        for (io.pgshift.sink.ChangeApplier.DdlWait w : waits.values()) {
            // The partition waits at this record (a held schema change, or a change whose columns the target lacks): read it again later.
            TopicPartition tp = new TopicPartition(w.partition().topic(), w.partition().partition());
            context.offset(tp, w.offset());
            context.pause(tp);
            this.waits.put(tp, w);
        }
    }

    private final Map<TopicPartition, io.pgshift.sink.ChangeApplier.DdlWait> waits = new HashMap<>();
    private long lastWaitCheckNanos;

    /** At most every quarter second while partitions wait: resumes those whose schema change is resolved (they read the record again). */
    private void releaseWaits() {
        if (waits.isEmpty() || System.nanoTime() - lastWaitCheckNanos < 250_000_000L) {
            return;
        }
        lastWaitCheckNanos = System.nanoTime();
        java.util.Set<Long> released = applier.released(waits.values());
        List<TopicPartition> resume = new ArrayList<>();
        waits.forEach((tp, w) -> {
            if (released.contains(w.id())) {
                context.offset(tp, w.offset());
                resume.add(tp);
            }
        });
        resume.forEach(waits::remove);
        if (!resume.isEmpty()) {
            context.resume(resume.toArray(TopicPartition[]::new));
        }
    }

    private ChangeEvent parse(SinkRecord r) {
        try {
            return DebeziumChangeParser.parse(r.keySchema(), r.key(), r.valueSchema(), r.value(), completeOldRowTopics.contains(r.topic()), false);
        }
        catch (RuntimeException e) {
            throw new ConnectException("Cannot read the record at " + r.topic() + "-" + r.kafkaPartition() + " offset " + r.kafkaOffset()
                    + " as a Debezium PostgreSQL change event: " + e.getMessage()
                    + ". Use a converter with schemas (for example JsonConverter with schemas.enable=true) and no transforms that reshape the envelope.", e);
        }
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        Map<TopicPartition, OffsetAndMetadata> safe = new HashMap<>();
        for (TopicPartition tp : currentOffsets.keySet()) {
            Long offset = committed.get(tp);
            if (offset != null) {
                safe.put(tp, new OffsetAndMetadata(offset));
            }
        }
        return safe;
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        partitions.forEach(committed::remove);
        partitions.forEach(waits::remove);
    }

    @Override
    public void stop() {
        if (applier != null) {
            applier.close();
        }
    }

    @Override
    public String version() {
        return Version.get();
    }

    private static PartitionRef ref(TopicPartition tp) {
        return new PartitionRef(tp.topic(), tp.partition());
    }
}
