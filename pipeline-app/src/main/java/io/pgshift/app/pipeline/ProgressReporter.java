package io.pgshift.app.pipeline;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.sink.ApplierStats;

/** Logs, at a fixed interval, what each database's capture published and its applier applied. */
public final class ProgressReporter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);
    private final ScheduledExecutorService timer;

    private ProgressReporter(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    public static ProgressReporter start(Pipeline pipeline, Duration every) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgshift-progress");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(() -> report(pipeline), every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        return new ProgressReporter(timer);
    }

    private static void report(Pipeline pipeline) {
        try {
            for (Pipeline.Lane lane : pipeline.lanes()) {
                ApplierStats s = lane.stats();
                long snapshot = s.tables().values().stream().mapToLong(ApplierStats.TableStats::snapshotRows).sum();
                long changes = s.applied() - snapshot;
                long pending = Pipeline.pending(lane, pipeline.endOffsets(lane.capture().topics().values().stream().toList()));
                LOG.info("{} -> {}: published {}, applied {} snapshot rows and {} changes, {} pending in Kafka, source LSN {}, latency {} ms",
                        lane.mapping().source(), lane.mapping().target(), lane.capture().publishedRecords(), snapshot, changes, pending,
                        lane.capture().lastPublishedLsn(), s.lastLatencyMs());
            }
        }
        catch (RuntimeException | InterruptedException e) {
            LOG.debug("Progress report failed: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
