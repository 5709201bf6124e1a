package io.pgshift.sink;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.TopicPartition;

/**
 * The applier of one target database in the single-process mode: {@code workers} {@link ApplierWorker}s in
 * one consumer group, each with its own consumer and target connection. Kafka spreads the table topics'
 * partitions over them; each partition is applied in order by exactly one worker. If one worker fails,
 * the others stop too, and {@link #finished()} completes with that failure.
 */
public final class KafkaApplierLoop implements Runnable, AutoCloseable {

    private final ApplierConfig config;
    private final List<ApplierWorker> workers = new ArrayList<>();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();

    public KafkaApplierLoop(ApplierConfig config, ApplierStats stats) {
        this(config, stats, StreamGate.alwaysOpen());
    }

    /** An applier whose change records wait behind {@code gate} (snapshot rows never wait). */
    public KafkaApplierLoop(ApplierConfig config, ApplierStats stats, StreamGate gate) {
        this.config = config;
        for (int i = 0; i < config.workers(); i++) {
            workers.add(new ApplierWorker(config, stats, i, gate));
        }
    }

    @Override
    public void run() {
        List<Thread> threads = new ArrayList<>();
        for (int i = 1; i < workers.size(); i++) {
            Thread t = new Thread(workers.get(i), Thread.currentThread().getName() + "-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        for (ApplierWorker w : workers) {
            w.finished().whenComplete((ok, failure) -> {
                if (failure != null) {
                    workers.forEach(ApplierWorker::close);
                }
            });
        }
        workers.get(0).run();
        CompletableFuture.allOf(workers.stream().map(ApplierWorker::finished).toArray(CompletableFuture[]::new))
                .whenComplete((ok, failure) -> {
                    if (failure != null) {
                        finished.completeExceptionally(failure instanceof java.util.concurrent.CompletionException ? failure.getCause() : failure);
                    }
                    else {
                        finished.complete(null);
                    }
                });
    }

    /**
     * Subscribes every worker to these topics too (a table that joined the migration): each reads a new topic from its start, or from
     * its watermark in the target.
     */
    public void addTopics(java.util.Collection<String> topics) {
        workers.forEach(w -> w.addTopics(topics));
    }

    /** The next offset to apply per partition, as committed in the target. */
    public Map<TopicPartition, Long> appliedOffsets() {
        Map<TopicPartition, Long> all = new HashMap<>();
        workers.forEach(w -> w.appliedOffsets().forEach((tp, offset) -> all.merge(tp, offset, Math::max)));
        return all;
    }

    /** Partitions held at their first change record by a closed {@link StreamGate}: every snapshot row before it is applied. */
    public Set<TopicPartition> heldPartitions() {
        Set<TopicPartition> all = new HashSet<>();
        workers.forEach(w -> all.addAll(w.heldPartitions()));
        return all;
    }

    public String database() {
        return config.database();
    }

    public CompletableFuture<Void> finished() {
        return finished;
    }

    @Override
    public void close() {
        workers.forEach(ApplierWorker::close);
    }
}
