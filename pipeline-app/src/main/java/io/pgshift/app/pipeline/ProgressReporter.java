package io.pgshift.app.pipeline;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.app.coordinator.MigrationStatus;
import io.pgshift.app.coordinator.Phase;

/**
 * Shows progress: on a terminal, a progress bar of the full load redrawn every second; then (and always when the output is not a
 * terminal) a log line per database at a fixed interval with rows loaded, changes applied, pending changes, WAL lag and latency.
 */
public final class ProgressReporter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);
    private static final int WIDTH = 30;

    private final ScheduledExecutorService timer;
    private final Supplier<MigrationStatus> status;
    private final PrintStream terminal;
    private final long everyMs;
    private long lastLogMs;
    private boolean barShown;
    private long barStartMs;

    private ProgressReporter(Supplier<MigrationStatus> status, Duration every, PrintStream terminal) {
        this.status = status;
        this.terminal = terminal;
        this.everyMs = every.toMillis();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgshift-progress");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts reporting; the bar goes to standard error when it is a terminal. */
    public static ProgressReporter start(Supplier<MigrationStatus> status, Duration every) {
        ProgressReporter r = new ProgressReporter(status, every, System.console() != null ? System.err : null);
        r.timer.scheduleAtFixedRate(r::report, 1, 1, TimeUnit.SECONDS);
        return r;
    }

    private void report() {
        try {
            MigrationStatus s = status.get();
            if (s == null) {
                return;
            }
            long now = System.currentTimeMillis();
            if (terminal != null && s.phase() == Phase.FULL_LOAD) {
                drawBar(s, now);
                return;
            }
            if (barShown) {
                terminal.println();
                barShown = false;
            }
            if (now - lastLogMs >= everyMs) {
                lastLogMs = now;
                for (MigrationStatus.Database db : s.databases()) {
                    long changes = db.tables().stream().mapToLong(t -> t.inserts() + t.updates() + t.deletes() + t.truncates()).sum();
                    LOG.info("{} -> {}: {}; full load {} ({} of {} rows), {} changes applied, {} pending in Kafka, {} of WAL not captured,"
                            + " latency {}", db.source(), db.target(), s.phase(), db.loadState(), db.rowsLoaded(),
                            db.rowsExpected() < 0 ? "an unknown number of" : "~" + db.rowsExpected(), changes, db.pendingChanges(),
                            db.pendingWalBytes() < 0 ? "unknown bytes" : db.pendingWalBytes() + " bytes",
                            db.latencyMs() < 0 ? "unknown (no change applied yet)" : db.latencyMs() + " ms");
                }
            }
        }
        catch (RuntimeException e) {
            LOG.debug("Progress report failed: {}", e.getMessage());
        }
    }

    private void drawBar(MigrationStatus s, long now) {
        long rows = s.databases().stream().mapToLong(MigrationStatus.Database::rowsLoaded).sum();
        boolean unknown = s.databases().stream().anyMatch(d -> d.rowsExpected() < 0);
        long expected = unknown ? -1 : s.databases().stream().mapToLong(MigrationStatus.Database::rowsExpected).sum();
        long tables = s.databases().stream().mapToLong(d -> d.tables().size()).sum();
        long done = s.databases().stream().flatMap(d -> d.tables().stream()).filter(t -> "completed".equals(t.loadState())).count();
        if (!barShown) {
            barStartMs = now;
        }
        double fraction = expected > 0 ? Math.min(0.99, (double) rows / expected) : 0;
        int filled = (int) Math.round(fraction * WIDTH);
        double seconds = Math.max(1, (now - barStartMs) / 1000.0);
        String of = expected < 0 ? "" : String.format(" of ~%,d", expected);
        terminal.printf("\rFull load [%s%s] %3.0f%%  %,d%s rows  %d/%d tables  %,.0f rows/s   ", "#".repeat(filled), ".".repeat(WIDTH - filled),
                fraction * 100, rows, of, done, tables, rows / seconds);
        terminal.flush();
        barShown = true;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        if (barShown) {
            terminal.println();
        }
    }
}
