package io.pgshift.app.pipeline;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.sink.ApplierConfig;
import io.pgshift.sink.ChangeApplier;
import io.pgshift.sink.PartitionRef;
import io.pgshift.sink.ApplierStats;
import io.pgshift.sink.KafkaApplierLoop;
import io.pgshift.source.CaptureConfig;
import io.pgshift.source.CaptureEngine;
import io.pgshift.source.FencePoint;
import io.pgshift.source.LoadPlan;
import io.pgshift.testkit.EmbeddedKafkaBroker;

/**
 * One running migration in this process: the embedded broker (unless Kafka is external), and per
 * database a capture and an applier. Started by {@code pgshift migrate} and by the demo.
 */
public final class Pipeline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

    /** One database's capture and applier. */
    public record Lane(MigrationConfig.DatabaseMapping mapping, CaptureEngine capture, KafkaApplierLoop applier, ApplierStats stats) {
    }

    private final MigrationConfig config;
    private final EmbeddedKafkaBroker broker;
    private final String bootstrap;
    private final List<Lane> lanes = new ArrayList<>();
    private final ExecutorService appliers = Executors.newCachedThreadPool(r -> new Thread(r, "pgshift-applier"));
    private final Admin admin;

    private Pipeline(MigrationConfig config, EmbeddedKafkaBroker broker, String bootstrap) {
        this.config = config;
        this.broker = broker;
        this.bootstrap = bootstrap;
        Map<String, Object> adminProps = new HashMap<>(config.kafka().properties());
        adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        adminProps.put(AdminClientConfig.CLIENT_ID_CONFIG, "pgshift." + config.name() + ".coordinator");
        this.admin = Admin.create(adminProps);
    }

    /** Starts everything: the broker if embedded, then for each database schema, capture and applier. */
    public static Pipeline start(MigrationConfig config) throws IOException, SQLException, InterruptedException {
        LOG.info("Starting {}", config.describe());
        checkConnectivity(config);
        EmbeddedKafkaBroker broker = null;
        String bootstrap = config.kafka().bootstrap();
        if (config.kafka().embedded()) {
            broker = EmbeddedKafkaBroker.start(config.workDir().resolve("kafka"));
            bootstrap = broker.bootstrapServers();
        }
        Pipeline pipeline = new Pipeline(config, broker, bootstrap);
        try {
            for (MigrationConfig.DatabaseMapping db : config.databases()) {
                pipeline.startLane(db);
            }
        }
        catch (IOException | SQLException | InterruptedException | RuntimeException e) {
            pipeline.close();
            throw e;
        }
        return pipeline;
    }

    /** Fails fast, before anything starts, when a server or a source database cannot be reached. */
    static void checkConnectivity(MigrationConfig config) throws SQLException {
        for (MigrationConfig.DatabaseMapping db : config.databases()) {
            try (java.sql.Connection c = config.source().connect(db.source(), "pgshift-check")) {
                c.isValid(5);
            }
        }
        try (java.sql.Connection c = config.target().connect("postgres", "pgshift-check")) {
            c.isValid(5);
        }
    }

    private void startLane(MigrationConfig.DatabaseMapping db) throws IOException, SQLException, InterruptedException {
        SchemaCopier.ensureDatabase(config.target(), db.target());
        SchemaCopier.copyIfTargetEmpty(config.source(), db.source(), config.target(), db.target(), config.workDir());
        short rf = config.kafka().embedded() ? 1 : config.kafka().replicationFactor();
        CaptureConfig cc = new CaptureConfig(config.names(), config.source(), db.source(), config.tables(), bootstrap, config.kafka().properties(),
                config.kafka().partitionsPerTable(), rf, config.debezium(), config.heartbeatIntervalMs());
        CaptureEngine capture = CaptureEngine.prepare(cc);
        if (capture.loadPlan() != LoadPlan.RESUME) {
            discardEarlierAttempt(db, capture);
        }
        capture.start();
        ApplierStats stats = new ApplierStats();
        ApplierConfig ac = new ApplierConfig(config.target(), db.target(), new ArrayList<>(capture.topics().values()),
                config.names().applierGroup(db.target()), bootstrap, config.kafka().properties(), config.maxBatchRecords(),
                config.source(), db.source(), config.applyWorkers());
        KafkaApplierLoop applier = new KafkaApplierLoop(ac, stats);
        appliers.execute(applier);
        lanes.add(new Lane(db, capture, applier, stats));
    }

    /**
     * A new load: records already in the table topics belong to an earlier attempt. The applier's
     * watermarks move past them, and target tables that attempt wrote to are emptied, in one transaction.
     */
    private void discardEarlierAttempt(MigrationConfig.DatabaseMapping db, CaptureEngine capture) throws SQLException, InterruptedException {
        Map<TopicPartition, Long> ends = endOffsets(new ArrayList<>(capture.topics().values()));
        Map<PartitionRef, Long> floors = ends.entrySet().stream()
                .collect(Collectors.toMap(e -> new PartitionRef(e.getKey().topic(), e.getKey().partition()), Map.Entry::getValue));
        try (ChangeApplier applier = new ChangeApplier(config.target(), db.target(), "pgshift-load-reset", new ApplierStats(), java.time.Clock.systemUTC())) {
            List<io.pgshift.core.TableId> emptied = applier.discardPreviousLoad(capture.topics().keySet(), floors);
            long skipped = ends.values().stream().mapToLong(Long::longValue).sum();
            if (!emptied.isEmpty() || skipped > 0) {
                LOG.warn("New initial load of '{}': emptied target tables {} of database '{}' and skipped {} records of the earlier attempt",
                        db.source(), emptied, db.target(), skipped);
            }
        }
    }

    public List<Lane> lanes() {
        return List.copyOf(lanes);
    }

    public String bootstrapServers() {
        return bootstrap;
    }

    /** The first failure of any capture or applier, if one stopped with an error. */
    public Optional<Throwable> failure() {
        for (Lane lane : lanes) {
            for (CompletableFuture<Void> f : List.of(lane.capture().finished(), lane.applier().finished())) {
                if (f.isCompletedExceptionally()) {
                    try {
                        f.join();
                    }
                    catch (RuntimeException e) {
                        return Optional.of(e.getCause() != null ? e.getCause() : e);
                    }
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Proves the target caught up with the source as of now: writes a fence row in every source database,
     * waits until the capture saw it with everything before it acknowledged by Kafka, then waits until the
     * applier's watermark reached the end of every table partition as of that moment.
     */
    public void awaitCaughtUp(Duration timeout) throws InterruptedException, TimeoutException, SQLException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Lane lane : lanes) {
            FencePoint fence;
            try {
                fence = lane.capture().fence().get(remaining(deadline), TimeUnit.NANOSECONDS);
            }
            catch (ExecutionException e) {
                throw new IllegalStateException("Capture of '" + lane.mapping().source() + "' failed: " + e.getCause().getMessage(), e.getCause());
            }
            Map<TopicPartition, Long> ends = endOffsets(lane.capture().topics().values().stream().collect(Collectors.toList()));
            LOG.debug("Fence {} of '{}' at {}: waiting for the applier to reach {}", fence.fenceId(), fence.database(), fence.lsn(), ends);
            while (pending(lane, ends) > 0) {
                failure().ifPresent(f -> {
                    throw new IllegalStateException("The migration stopped: " + f.getMessage(), f);
                });
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("The target database '" + lane.mapping().target() + "' did not catch up within " + timeout
                            + ": " + pending(lane, ends) + " records still to apply");
                }
                Thread.sleep(20);
            }
        }
    }

    /** Records in Kafka that the lane's applier has not applied yet, against the given end offsets. */
    public static long pending(Lane lane, Map<TopicPartition, Long> endOffsets) {
        Map<TopicPartition, Long> applied = lane.applier().appliedOffsets();
        long pending = 0;
        for (Map.Entry<TopicPartition, Long> e : endOffsets.entrySet()) {
            pending += Math.max(0, e.getValue() - applied.getOrDefault(e.getKey(), 0L));
        }
        return pending;
    }

    /** The current end offset of every partition of these topics. */
    public Map<TopicPartition, Long> endOffsets(List<String> topics) throws InterruptedException {
        try {
            Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            described.values().forEach(d -> d.partitions().forEach(p -> request.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> result = admin.listOffsets(request).all().get(30, TimeUnit.SECONDS);
            return result.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        }
        catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot read the end offsets of the table topics from Kafka at " + bootstrap + ": " + e.getMessage(), e);
        }
    }

    private static long remaining(long deadline) throws TimeoutException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new TimeoutException("Timed out waiting for the fence");
        }
        return left;
    }

    @Override
    public void close() {
        for (Lane lane : lanes) {
            lane.capture().close();
        }
        for (Lane lane : lanes) {
            lane.applier().close();
        }
        appliers.shutdown();
        try {
            if (!appliers.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("Appliers did not stop within 30 s");
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(5));
        if (broker != null) {
            broker.close();
        }
        LOG.info("Migration '{}' stopped", config.name());
    }
}
