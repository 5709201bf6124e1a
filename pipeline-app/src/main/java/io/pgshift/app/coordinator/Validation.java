package io.pgshift.app.coordinator;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.core.TableId;
import io.pgshift.core.catalog.Catalog;
import io.pgshift.core.catalog.TableInfo;
import io.pgshift.core.validation.ChunkChecksums;
import io.pgshift.core.validation.ChunkChecksums.ChunkSum;
import io.pgshift.core.validation.ChunkChecksums.KeyRange;
import io.pgshift.core.validation.ChunkChecksums.RowDifference;
import io.pgshift.core.validation.ChunkChecksums.TableShape;
import io.pgshift.sink.ChangedRows;

/**
 * Validates every selected table in chunks ({@link ChunkChecksums}: ranges of the key, each a row count and a checksum of every row
 * on each server, in constant memory), online while changes stream, on demand, and at the cutover.
 * <p>
 * <b>Online</b>: once the load is applied, every table is compared chunk by chunk while the source is written. Before a table's pass
 * starts, the pass notes the applier's change sequence ({@link ChangedRows#now()}); both servers then read each chunk after that
 * moment. A chunk that differs (its newest changes may be on their way) is compared again after a proven catch-up, up to three times;
 * one that still differs is reported with the keys of its differing rows. A chunk found equal stays equal until a change reaches one
 * of its rows: a change of the source after the pass's reads is applied to the target after them, and the applier records its key
 * with a higher sequence number. So at the cutover, with the source frozen and every change applied, comparing the rows changed since
 * the pass (by key, on both servers) proves the whole table equal. A table is passed again once {@code validation.maxChangedRows} of
 * its rows changed, which keeps the cutover's work bounded by the changes of the last minutes, not by the data.
 * <p>
 * <b>At the cutover</b> ({@code cutover.validation}): {@code changed} compares the rows changed since each table's pass, the chunks
 * never found equal, every chunk of a table whose changed keys are incomplete (a TRUNCATE, or more changed rows than are kept), and a
 * table without a key whole if it changed; {@code full} compares every chunk again. The applier's changed keys live in this process:
 * after a restart, tables are validated online again, and the cutover compares whatever was not.
 * <p>
 * This trusts the capture to deliver every change of the source, as the applier does; a change PostgreSQL does not publish (a
 * TRUNCATE of one partition of a table published through its root) is found only by an online pass after it, or by {@code full}.
 */
public final class Validation implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Validation.class);
    /** Comparisons of a differing chunk at most while the source is written (with a proven catch-up before each again). */
    private static final int ONLINE_ROUNDS = 3;
    /** Differing rows named per chunk. */
    private static final int NAMED_ROWS = 10;
    /** A differing chunk is settled when fewer rows than this differ, each changed since its pass began. */
    private static final int SETTLE_LIMIT = 10_000;
    /** How often the rows changed since a table's moment are compared by key online ({@link #sweep}). */
    private static final long SWEEP_EVERY_MS = 5_000;

    /** One chunk that differs: its range, each side's row count, and the first differing rows by key. */
    public record RangeDifference(String range, long sourceRows, Long targetRows, List<String> rows) {
    }

    /**
     * One table's validation.
     *
     * @param rows                  rows counted on the source by the comparisons this result rests on
     * @param chunks                chunks the table was split into
     * @param basis                 what was compared when, in words
     * @param onlineLsn             the source's WAL position when the online pass that holds began; null without one
     * @param onlineAt              when that pass began
     * @param chunksAtCutover       chunks compared while frozen (or in this on-demand run)
     * @param rowsComparedAtCutover changed rows compared by key while frozen
     */
    public record TableResult(String database, String table, long rows, int chunks, boolean equal, String basis, String onlineLsn, String onlineAt,
                              int chunksAtCutover, long rowsComparedAtCutover, List<RangeDifference> differences) {
    }

    /**
     * Every table's result and the work it took.
     *
     * @param mode           "online", "on demand", "direct", "changed" or "full"
     * @param onlineChunks   chunks compared online (passes this result rests on)
     * @param onlineRows     rows those covered
     * @param onlineMs       the time those passes took
     * @param cutoverChunks  chunks compared in this run
     * @param cutoverRows    changed rows compared by key in this run
     * @param durationMs     this run's time
     */
    public record Result(String mode, List<TableResult> tables, long onlineChunks, long onlineRows, long onlineMs, long cutoverChunks, long cutoverRows,
                         long durationMs) {

        public boolean allEqual() {
            return tables.stream().allMatch(TableResult::equal);
        }

        public List<String> differing() {
            return tables.stream().filter(t -> !t.equal()).map(t -> t.database() + ": " + t.table()).toList();
        }

        /** For reports: what differs, and where, in one sentence per table. */
        public String describeDifferences() {
            return String.join("; ", tables.stream().filter(t -> !t.equal()).map(t -> t.database() + "." + t.table() + ": " + (t.differences().isEmpty()
                    ? t.basis() : String.join(", ", t.differences().stream().map(d -> d.range() + " (source " + d.sourceRows() + " rows, target "
                    + (d.targetRows() == null ? "has no such table" : d.targetRows() + " rows") + (d.rows().isEmpty() ? "" : "; rows " + d.rows())
                    + ")").toList()))).toList());
        }
    }

    /** What the last online pass of one table found. */
    private static final class TableState {
        final TableShape shape;
        final String database;
        volatile List<KeyRange> chunks = List.of();
        /** The change sequence before the pass read anything: every chunk not in {@code unequal} was equal after it. */
        volatile long passSeq = -1;
        volatile List<Integer> unequal = List.of();
        volatile List<RangeDifference> differences = List.of();
        volatile String lsn;
        volatile String at;
        volatile long rows;
        volatile long ms;
        long lastTriedMs;
        long lastSweptMs;

        TableState(String database, TableShape shape) {
            this.database = database;
            this.shape = shape;
        }

        boolean validated() {
            return passSeq >= 0 && unequal.isEmpty();
        }
    }

    /** The cutover stopped the online passes for the moment: the pass in progress gives up at its next chunk. */
    private static final class Preempted extends RuntimeException {
        Preempted() {
            super("preempted", null, false, false);
        }
    }

    private final MigrationConfig config;
    private final Pipeline pipeline;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Map<TableId, TableState>> states = new java.util.concurrent.ConcurrentHashMap<>();
    /** Per source database, the applier's count of schema changes applied when its tables were read ({@link #tablesOf}). */
    private final Map<String, Long> schemaChangesSeen = new java.util.concurrent.ConcurrentHashMap<>();
    /** Used by the online thread only. */
    private final Map<String, Comparer> onlineComparers = new java.util.HashMap<>();
    private volatile boolean paused;
    private volatile boolean closed;
    private Thread online;

    public Validation(MigrationConfig config, Pipeline pipeline) {
        this.config = config;
        this.pipeline = pipeline;
    }

    // ---------------------------------------------------------------------------------------------------------------- online

    /** Starts the online passes once the load is applied. */
    public void startOnline() {
        online = new Thread(this::runOnline, "pgshift-validate-online");
        online.setDaemon(true);
        online.start();
    }

    private void runOnline() {
        try {
            pipeline.loaded().get();
            while (!closed) {
                long pause = 1000;
                if (!paused && lock.tryLock()) {
                    try {
                        passDue();
                    }
                    catch (Preempted e) {
                        LOG.debug("Online validation gave way to the cutover");
                    }
                    catch (SQLException | TimeoutException | RuntimeException e) {
                        closeOnlineComparers(); // their connections may be what failed
                        if (!closed && schemaMoved(e)) {
                            // A schema change (a column or table renamed or dropped) reached a server during the pass: read the tables again.
                            LOG.info("Online validation met a schema change during its pass ({}): it reads the tables again", e.getMessage());
                            states.clear();
                            schemaChangesSeen.clear();
                            pause = 1000;
                        }
                        else if (!closed) {
                            LOG.warn("Online validation failed, tried again in 30 s: {}", e.getMessage());
                            pause = 30_000;
                        }
                    }
                    finally {
                        lock.unlock();
                    }
                }
                Thread.sleep(pause); // never with the lock held: a cutover waits for it
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        catch (ExecutionException | java.util.concurrent.CancellationException e) {
            LOG.debug("No online validation: the load did not complete");
        }
        finally {
            closeOnlineComparers();
        }
    }

    private void closeOnlineComparers() {
        onlineComparers.values().forEach(Comparer::close);
        onlineComparers.clear();
    }

    /** Passes every table that is due: never passed, not found equal (every 30 s), or changed by more rows than are kept. */
    private void passDue() throws SQLException, InterruptedException, TimeoutException {
        for (Pipeline.Lane lane : pipeline.lanes()) {
            MigrationConfig.DatabaseMapping db = lane.mapping();
            ChangedRows changed = lane.stats().changedRows();
            Map<TableId, TableState> tables = tablesOf(db, changed, lane.stats().schemaChanges());
            long now = System.currentTimeMillis();
            // A table held at a schema change is not passed: its target stands still until an operator resolves the change.
            java.util.Set<String> held = new java.util.HashSet<>();
            pipeline.heldSchemaChanges(db.target()).forEach(h -> held.addAll(h.tables()));
            List<TableState> due = tables.values().stream().filter(state -> !held.contains(state.shape.info().id().quoted())).filter(state -> state.passSeq < 0
                    || !state.unequal.isEmpty() && now - state.lastTriedMs > 30_000
                    || changed.keptKeys(state.shape.info().id()) > config.validation().maxChangedRows()
                    || state.shape.keyed() && state.validated() && !changed.since(state.shape.info().id(), state.passSeq).complete()
                    || !state.shape.keyed() && changed.since(state.shape.info().id(), state.passSeq).changed() && now - state.lastTriedMs > 300_000)
                    .toList();
            List<TableState> sweep = tables.values().stream().filter(state -> !held.contains(state.shape.info().id().quoted()))
                    .filter(state -> !due.contains(state) && state.validated() && state.shape.keyed()
                    && changed.keptKeys(state.shape.info().id()) > 0 && now - state.lastSweptMs > SWEEP_EVERY_MS).toList();
            if (due.isEmpty() && sweep.isEmpty()) {
                continue;
            }
            // The online thread keeps its connections between rounds: a sweep every 5 s must not open and close them each time.
            Comparer comparer = onlineComparers.get(db.source());
            if (comparer == null) {
                comparer = new Comparer(config, db, config.validation().threads());
                onlineComparers.put(db.source(), comparer);
            }
            for (TableState state : due) {
                if (!closed) {
                    pass(comparer, state, changed, ONLINE_ROUNDS);
                }
            }
            for (TableState state : sweep) {
                if (!closed && !paused) {
                    sweep(comparer, state, changed);
                }
            }
        }
    }

    /**
     * The tables the selection picks on the source now: a schema change no table's stream carried (a table moved out of the selection
     * and back, dropped, or one that entered it) may have changed the list since {@link #tablesOf} read it. A table gone is left out; a
     * new one is compared whole.
     */
    private Map<TableId, TableState> reconciled(MigrationConfig.DatabaseMapping db, Map<TableId, TableState> tables, ChangedRows changed)
            throws SQLException {
        List<TableInfo> now;
        try (Connection s = config.source().connect(db.source(), "pgshift-validate")) {
            now = Catalog.selectedTables(s, config.tables());
            java.util.Set<TableId> ids = now.stream().map(TableInfo::id).collect(java.util.stream.Collectors.toSet());
            if (ids.equals(tables.keySet())) {
                return tables;
            }
            Map<TableId, TableState> out = new LinkedHashMap<>();
            for (TableInfo t : now) {
                TableState state = tables.get(t.id());
                if (state == null) {
                    TableShape shape = ChunkChecksums.shape(s, t);
                    changed.track(t.id(), shape.keyColumns());
                    state = new TableState(db.source(), shape);
                    LOG.info("Validation of '{}': {} is in the selection now (a schema change): compared whole", db.source(), t.id());
                }
                out.put(t.id(), state);
            }
            tables.keySet().stream().filter(t -> !ids.contains(t)).forEach(t -> LOG.info("Validation of '{}': {} is no longer in the selection"
                    + " (a schema change): not compared", db.source(), t));
            states.put(db.source(), out);
            return out;
        }
    }

    /**
     * The lane's tables, read from the source (and tracked in the applier's changed rows) the first time, and again once the applier
     * applied a schema change since: their columns, keys and chunks may differ, so every table is passed again (a cutover before that
     * compares them chunk by chunk).
     */
    private Map<TableId, TableState> tablesOf(MigrationConfig.DatabaseMapping db, ChangedRows changed, long schemaChanges) throws SQLException {
        Map<TableId, TableState> tables = states.get(db.source());
        if (tables != null && schemaChangesSeen.getOrDefault(db.source(), 0L) == schemaChanges) {
            return tables;
        }
        if (tables != null) {
            LOG.info("Validation of '{}' reads its tables again after a schema change: each is passed online again", db.source());
            onlineComparers.values().forEach(Comparer::close);
            onlineComparers.clear();
        }
        schemaChangesSeen.put(db.source(), schemaChanges);
        tables = new LinkedHashMap<>();
        try (Connection s = config.source().connect(db.source(), "pgshift-validate")) {
            for (TableInfo t : Catalog.selectedTables(s, config.tables())) {
                TableShape shape = ChunkChecksums.shape(s, t);
                changed.track(t.id(), shape.keyColumns());
                tables.put(t.id(), new TableState(db.source(), shape));
            }
        }
        states.put(db.source(), tables);
        return tables;
    }

    /**
     * One pass of one table: every chunk compared, a differing one again after a catch-up (up to {@code rounds} times), the keys of
     * differing rows named. The state holds the pass once it ends.
     */
    private void pass(Comparer comparer, TableState state, ChangedRows changed, int rounds) throws SQLException, InterruptedException,
            TimeoutException {
        long t0 = System.nanoTime();
        changed.resume(state.shape.info().id());
        long seq = changed.now();
        String lsn = comparer.sourceLsn();
        String at = Instant.now().toString();
        List<KeyRange> chunks = comparer.plan(state.shape);
        Map<Integer, Outcome> outcomes = new LinkedHashMap<>();
        for (Outcome o : comparer.compare(state.shape, chunks, () -> paused)) {
            outcomes.put(o.range().index(), o);
        }
        for (int round = 2; round <= rounds && outcomes.values().stream().anyMatch(o -> !o.equal()); round++) {
            if (paused) {
                throw new Preempted();
            }
            pipeline.awaitCaughtUp(Duration.ofMinutes(10), true);
            List<KeyRange> again = outcomes.values().stream().filter(o -> !o.equal()).map(Outcome::range).toList();
            for (Outcome o : comparer.compare(state.shape, again, () -> paused)) {
                outcomes.put(o.range().index(), o);
            }
        }
        // A chunk written all the time (the newest keys of a growing table) may differ at every comparison only by rows whose changes
        // were on their way. When every row it differs by was changed since the pass began, it is settled: those rows are compared by key
        // at the cutover like every row changed since, and every other row of it was equal after the pass began.
        List<Outcome> settled = new ArrayList<>();
        List<RangeDifference> differences = new ArrayList<>();
        for (Outcome o : List.copyOf(outcomes.values())) {
            if (o.equal()) {
                continue;
            }
            List<RowDifference> rows = o.target() != null && !paused ? comparer.rowDifferences(state.shape, o.range(), SETTLE_LIMIT) : null;
            ChangedRows.Since since = rows == null ? null : changed.since(state.shape.info().id(), seq);
            if (rows != null && rows.size() < SETTLE_LIMIT && since.complete() && !paused
                    && !new java.util.HashSet<>(since.keys()).containsAll(rows.stream().map(RowDifference::key).toList())) {
                // Rows may differ by changes that were on their way when they were read (on Kafka Connect, for a second or two): once
                // everything committed until now is applied, those are recorded as changed since the pass began.
                pipeline.awaitCaughtUp(Duration.ofMinutes(10), true);
                since = changed.since(state.shape.info().id(), seq);
            }
            if (rows != null && rows.size() < SETTLE_LIMIT && since.complete()
                    && new java.util.HashSet<>(since.keys()).containsAll(rows.stream().map(RowDifference::key).toList())) {
                settled.add(o);
                outcomes.put(o.range().index(), new Outcome(o.range(), o.source(), o.source()));
            }
            else {
                differences.add(Comparer.difference(state.shape, o, rows == null ? List.of() : rows.subList(0, Math.min(NAMED_ROWS, rows.size()))));
            }
        }
        state.lastTriedMs = System.currentTimeMillis();
        state.chunks = chunks;
        state.passSeq = seq;
        state.lsn = lsn;
        state.at = at;
        state.unequal = outcomes.values().stream().filter(o -> !o.equal()).map(o -> o.range().index()).toList();
        state.rows = outcomes.values().stream().mapToLong(o -> o.source().rows()).sum();
        state.differences = differences;
        state.ms = (System.nanoTime() - t0) / 1_000_000;
        if (state.unequal.isEmpty()) {
            changed.forget(state.shape.info().id(), seq);
            LOG.info("Validated {}.{} online: {} chunks, {} rows equal as of source LSN {}{} ({} ms)", state.database, state.shape.info().id(),
                    chunks.size(), state.rows, lsn, settled.isEmpty() ? "" : " (" + settled.size() + " chunks but for rows changed since, which the"
                            + " cutover compares by key)", state.ms);
        }
        else {
            LOG.warn("Online validation: {} of {} chunks of {}.{} differ after {} comparisons: {}", state.unequal.size(), chunks.size(), state.database,
                    state.shape.info().id(), rounds, state.differences);
        }
    }

    /** What the last online pass of this table found, for the status; null before it. Reads without waiting for a pass in progress. */
    public MigrationStatus.TableValidation view(Pipeline.Lane lane, TableId table) {
        Map<TableId, TableState> tables = states.get(lane.mapping().source());
        TableState state = tables == null ? null : tables.get(table);
        if (state == null || state.passSeq < 0) {
            return null;
        }
        int kept = lane.stats().changedRows().keptKeys(table);
        return new MigrationStatus.TableValidation(state.unequal.isEmpty() ? "equal" : "differs", state.chunks.size(), state.unequal.size(), state.rows,
                state.lsn, state.at, kept == Integer.MAX_VALUE ? -1 : kept, state.differences);
    }

    /**
     * Compares, by key on both servers, the rows of a validated table changed since its pass (or its last sweep) began, and when every
     * one is equal (or differs only because it changed again since this sweep began) moves the table's moment forward to this sweep's:
     * each row was equal after the sweep noted the change sequence, so the argument of the class comment holds from there. This keeps
     * what a cutover compares to the changes of the last seconds, however long a pass of the table takes.
     */
    private void sweep(Comparer comparer, TableState state, ChangedRows changed) throws SQLException, InterruptedException, TimeoutException {
        TableId id = state.shape.info().id();
        long seq = changed.now();
        ChangedRows.Since since = changed.since(id, state.passSeq);
        state.lastSweptMs = System.currentTimeMillis();
        if (!since.complete() || since.keys().isEmpty()) {
            return;
        }
        ChunkChecksums.KeyComparison byKey = comparer.compareKeys(state.shape, since.keys(), SETTLE_LIMIT);
        if (byKey.differing() >= SETTLE_LIMIT) {
            return;
        }
        if (byKey.differing() > 0) {
            // A row that differs because its change was on its way is recorded once applied: prove everything committed so far applied.
            pipeline.awaitCaughtUp(Duration.ofMinutes(1), true);
        }
        ChangedRows.Since again = changed.since(id, seq);
        if (byKey.differing() > 0 && !(again.complete()
                && new java.util.HashSet<>(again.keys()).containsAll(byKey.examples().stream().map(RowDifference::key).toList()))) {
            LOG.debug("Sweep of {}: {} of {} changed rows differ; the next sweep compares them again", id, byKey.differing(), byKey.compared());
            return;
        }
        state.passSeq = seq;
        changed.forget(id, seq);
        LOG.debug("Sweep of {}.{}: the {} rows changed since its last moment are equal", state.database, id, byKey.compared());
    }

    /** Whether a failure is a table or column the pass expected being gone (42P01, 42703): a schema change, not a fault. */
    private static boolean schemaMoved(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && ("42P01".equals(s.getSQLState()) || "42703".equals(s.getSQLState()))) {
                return true;
            }
        }
        return false;
    }

    /** Stops the online passes (the one in progress gives up at its next chunk) until {@link #resume}. */
    public void pause() {
        paused = true;
    }

    public void resume() {
        paused = false;
    }

    // ------------------------------------------------------------------------------------------------------------ on demand

    /**
     * Passes every table now, as the online validation does (a differing chunk is compared again after a proven catch-up, up to three
     * times), and reports every table; waits for an online pass in progress.
     */
    public Result validateNow() throws SQLException, InterruptedException, TimeoutException {
        long t0 = System.nanoTime();
        lock.lockInterruptibly();
        try {
            List<TableResult> results = new ArrayList<>();
            long chunks = 0;
            long rows = 0;
            for (Pipeline.Lane lane : pipeline.lanes()) {
                Map<TableId, TableState> tables = tablesOf(lane.mapping(), lane.stats().changedRows(), lane.stats().schemaChanges());
                try (Comparer comparer = new Comparer(config, lane.mapping(), config.validation().threads())) {
                    for (TableState state : tables.values()) {
                        pass(comparer, state, lane.stats().changedRows(), ONLINE_ROUNDS);
                        chunks += state.chunks.size();
                        rows += state.rows;
                        results.add(new TableResult(state.database, state.shape.info().id().toString(), state.rows, state.chunks.size(),
                                state.validated(), state.validated() ? "every chunk equal as of source LSN " + state.lsn
                                        : state.unequal.size() + " of " + state.chunks.size() + " chunks differ", state.lsn, state.at,
                                state.chunks.size(), 0, state.differences));
                    }
                }
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            return new Result("on demand", results, chunks, rows, ms, chunks, 0, ms);
        }
        finally {
            lock.unlock();
        }
    }

    /** Without a running migration: every chunk of every table compared once, source and target as they are now. */
    public static Result direct(MigrationConfig config) throws SQLException, InterruptedException {
        long t0 = System.nanoTime();
        List<TableResult> results = new ArrayList<>();
        long chunks = 0;
        for (MigrationConfig.DatabaseMapping db : config.databases()) {
            try (Comparer comparer = new Comparer(config, db, config.validation().threads())) {
                for (TableInfo t : comparer.selectedTables()) {
                    TableShape shape = comparer.shape(t);
                    List<KeyRange> ranges = comparer.plan(shape);
                    List<Outcome> outcomes = comparer.compare(shape, ranges, () -> false);
                    List<Outcome> differing = outcomes.stream().filter(o -> !o.equal()).toList();
                    long n = outcomes.stream().mapToLong(o -> o.source().rows()).sum();
                    chunks += ranges.size();
                    results.add(new TableResult(db.source(), t.id().toString(), n, ranges.size(), differing.isEmpty(), differing.isEmpty()
                            ? "every chunk equal" : differing.size() + " of " + ranges.size() + " chunks differ", null, Instant.now().toString(),
                            ranges.size(), 0, comparer.name(shape, differing)));
                }
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        return new Result("direct", results, 0, 0, 0, chunks, 0, ms);
    }

    // -------------------------------------------------------------------------------------------------------------- cutover

    /**
     * The cutover's validation, after a proven catch-up: per table, what {@code cutover.validation} asks (see the class comment). With
     * a frozen source one round is exact; without, what differs is compared again after another catch-up, up to three rounds.
     *
     * @param afterTable called after each table (crash tests halt there)
     */
    public Result atCutover(boolean sourceFrozen, Duration catchUpTimeout, Runnable afterTable) throws SQLException, InterruptedException,
            TimeoutException {
        long t0 = System.nanoTime();
        paused = true;
        lock.lockInterruptibly();
        try {
            // On Kafka Connect the applied keys stay in the workers' sink tasks: the cutover compares every chunk.
            boolean full = config.validation().full() || !pipeline.tracksAppliedChanges();
            int rounds = sourceFrozen ? 1 : ONLINE_ROUNDS;
            List<TableResult> results = new ArrayList<>();
            long onlineChunks = 0;
            long onlineRows = 0;
            long onlineMs = 0;
            long cutoverChunks = 0;
            long cutoverRows = 0;
            for (Pipeline.Lane lane : pipeline.lanes()) {
                ChangedRows changed = lane.stats().changedRows();
                Map<TableId, TableState> tables = reconciled(lane.mapping(), tablesOf(lane.mapping(), changed, lane.stats().schemaChanges()), changed);
                try (Comparer comparer = new Comparer(config, lane.mapping(), config.validation().threads())) {
                    for (TableState state : tables.values()) {
                        TableResult r = cutoverTable(comparer, state, changed, full, rounds, catchUpTimeout);
                        results.add(r);
                        cutoverChunks += r.chunksAtCutover();
                        cutoverRows += r.rowsComparedAtCutover();
                        if (r.onlineLsn() != null) {
                            onlineChunks += state.chunks.size();
                            onlineRows += state.rows;
                            onlineMs += state.ms;
                        }
                        afterTable.run();
                    }
                }
            }
            return new Result(full ? "full" : "changed", results, onlineChunks, onlineRows, onlineMs, cutoverChunks, cutoverRows,
                    (System.nanoTime() - t0) / 1_000_000);
        }
        finally {
            lock.unlock();
        }
    }

    private TableResult cutoverTable(Comparer comparer, TableState state, ChangedRows changed, boolean full, int rounds, Duration catchUpTimeout)
            throws SQLException, InterruptedException, TimeoutException {
        TableShape shape = state.shape;
        ChangedRows.Since since = state.passSeq < 0 ? null : changed.since(shape.info().id(), state.passSeq);
        List<KeyRange> ranges;
        List<List<String>> keys = List.of();
        String basis;
        boolean online = false;
        if (full || state.passSeq < 0) {
            ranges = comparer.plan(shape);
            basis = (!full ? "not validated online" : pipeline.tracksAppliedChanges() ? "cutover.validation full"
                    : "on Kafka Connect (the applied keys are in the sink's tasks)") + ": every chunk compared at the cutover";
        }
        else if (!shape.keyed()) {
            online = true;
            ranges = since.changed() ? List.of(KeyRange.whole()) : List.of();
            basis = since.changed() ? "no key: compared whole at the cutover (changed since its online pass)" : "online pass, unchanged since";
        }
        else if (!since.complete()) {
            online = true;
            ranges = comparer.plan(shape);
            basis = "online pass, then more changed rows than are kept (or a TRUNCATE): every chunk compared at the cutover";
        }
        else {
            online = true;
            ranges = state.unequal.stream().map(i -> state.chunks.get(i)).toList();
            keys = since.keys();
            basis = "online pass, then the " + keys.size() + " rows changed since compared by key at the cutover"
                    + (ranges.isEmpty() ? "" : ", and the " + ranges.size() + " chunks not found equal online compared again");
        }
        long rows = state.rows;
        List<Outcome> outcomes = List.of();
        ChunkChecksums.KeyComparison byKey = new ChunkChecksums.KeyComparison(0, 0, List.of());
        for (int round = 1; round <= rounds; round++) {
            if (round > 1) {
                pipeline.awaitCaughtUp(catchUpTimeout);
            }
            outcomes = comparer.compare(shape, ranges, () -> false);
            byKey = keys.isEmpty() ? byKey : comparer.compareKeys(shape, keys);
            if (outcomes.stream().allMatch(Outcome::equal) && byKey.differing() == 0) {
                break;
            }
        }
        if (!online) {
            rows = outcomes.stream().mapToLong(o -> o.source().rows()).sum();
        }
        List<RangeDifference> differences = new ArrayList<>(comparer.name(shape, outcomes.stream().filter(o -> !o.equal()).toList()));
        if (byKey.differing() > 0) {
            differences.add(new RangeDifference(byKey.differing() + " of the " + byKey.compared() + " rows changed since the online pass", 0, 0L,
                    byKey.examples().stream().map(RowDifference::toString).toList()));
        }
        boolean equal = differences.isEmpty();
        return new TableResult(state.database, shape.info().id().toString(), rows, online ? state.chunks.size() : ranges.size(), equal,
                basis, online ? state.lsn : null, online ? state.at : null, ranges.size(), keys.size(), differences);
    }

    @Override
    public void close() {
        closed = true;
        paused = true;
        if (online != null) {
            online.interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------------------------- comparer

    /** One chunk on both servers; {@code target} null when the target has no such table. */
    record Outcome(KeyRange range, ChunkSum source, ChunkSum target) {

        boolean equal() {
            return target != null && source.rows() == target.rows() && source.checksum().equals(target.checksum());
        }
    }

    /**
     * Compares chunks of one database pair, {@code threads} at once on each server (a pool of connections per side; the two sides of a
     * chunk are read at the same time).
     */
    private static final class Comparer implements AutoCloseable {

        private final MigrationConfig.DatabaseMapping db;
        private final BlockingQueue<Connection> sources;
        private final BlockingQueue<Connection> targets;
        private final List<Connection> all = new ArrayList<>();
        private final ExecutorService pool;
        private final long chunkRows;
        private final io.pgshift.core.TableSelection selection;

        Comparer(MigrationConfig config, MigrationConfig.DatabaseMapping db, int threads) throws SQLException {
            this.db = db;
            this.selection = config.tables();
            this.chunkRows = config.validation().chunkRows();
            this.sources = new ArrayBlockingQueue<>(threads);
            this.targets = new ArrayBlockingQueue<>(threads);
            this.pool = Executors.newFixedThreadPool(2 * threads, r -> {
                Thread t = new Thread(r, "pgshift-validate-" + db.source());
                t.setDaemon(true);
                return t;
            });
            try {
                for (int i = 0; i < threads; i++) {
                    sources.add(open(config.source().connect(db.source(), "pgshift-validate")));
                    targets.add(open(config.target().connect(db.target(), "pgshift-validate")));
                }
            }
            catch (SQLException | RuntimeException e) {
                close();
                throw e;
            }
        }

        private Connection open(Connection c) throws SQLException {
            all.add(c);
            ChunkChecksums.prepareSession(c);
            return c;
        }

        private interface Work<T> {
            T run(Connection c) throws SQLException;
        }

        private <T> T with(BlockingQueue<Connection> side, Work<T> work) throws SQLException, InterruptedException {
            Connection c = side.take();
            try {
                return work.run(c);
            }
            finally {
                side.add(c);
            }
        }

        List<TableInfo> selectedTables() throws SQLException, InterruptedException {
            return with(sources, c -> Catalog.selectedTables(c, selection));
        }

        TableShape shape(TableInfo t) throws SQLException, InterruptedException {
            return with(sources, c -> ChunkChecksums.shape(c, t));
        }

        String sourceLsn() throws SQLException, InterruptedException {
            return with(sources, c -> {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
                    rs.next();
                    return rs.getString(1);
                }
            });
        }

        List<KeyRange> plan(TableShape shape) throws SQLException, InterruptedException {
            return with(sources, c -> ChunkChecksums.plan(c, shape, chunkRows));
        }

        List<Outcome> compare(TableShape shape, List<KeyRange> ranges, java.util.function.BooleanSupplier stop) throws SQLException,
                InterruptedException {
            if (ranges.isEmpty()) {
                return List.of();
            }
            boolean onTarget = with(targets, c -> ChunkChecksums.exists(c, shape));
            List<Future<ChunkSum>> s = new ArrayList<>();
            List<Future<ChunkSum>> t = new ArrayList<>();
            for (KeyRange range : ranges) {
                s.add(pool.submit(() -> {
                    if (stop.getAsBoolean()) {
                        throw new Preempted();
                    }
                    return with(sources, c -> ChunkChecksums.checksum(c, shape, range));
                }));
                t.add(pool.submit(() -> {
                    if (stop.getAsBoolean()) {
                        throw new Preempted();
                    }
                    return onTarget ? with(targets, c -> ChunkChecksums.checksum(c, shape, range)) : null;
                }));
            }
            List<Outcome> outcomes = new ArrayList<>();
            try {
                for (int i = 0; i < ranges.size(); i++) {
                    outcomes.add(new Outcome(ranges.get(i), s.get(i).get(), t.get(i).get()));
                }
            }
            catch (ExecutionException e) {
                s.forEach(f -> f.cancel(false));
                t.forEach(f -> f.cancel(false));
                if (e.getCause() instanceof SQLException q) {
                    throw new SQLException("Validating " + shape.info().id() + " in '" + db.source() + "': " + q.getMessage(), q.getSQLState(), q);
                }
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw new IllegalStateException(e.getCause());
            }
            return outcomes;
        }

        /** The keys of the differing rows of each differing chunk. */
        List<RangeDifference> name(TableShape shape, List<Outcome> differing) throws SQLException, InterruptedException {
            List<RangeDifference> found = new ArrayList<>();
            for (Outcome o : differing) {
                found.add(difference(shape, o, o.target() == null ? List.of() : with(sources, s -> with2(targets, t ->
                        ChunkChecksums.differingRows(s, t, shape, o.range(), NAMED_ROWS)))));
            }
            return found;
        }

        static RangeDifference difference(TableShape shape, Outcome o, List<RowDifference> rows) {
            return new RangeDifference(o.range().describe(shape.keyColumns()), o.source().rows(), o.target() == null ? null : o.target().rows(),
                    rows.stream().map(RowDifference::toString).toList());
        }

        private <T> T with2(BlockingQueue<Connection> side, Work<T> work) throws SQLException {
            try {
                return with(side, work);
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted", e);
            }
        }

        List<RowDifference> rowDifferences(TableShape shape, KeyRange range, int limit) throws SQLException, InterruptedException {
            return with(sources, s -> with2(targets, t -> ChunkChecksums.rowDifferences(s, t, shape, range, limit)));
        }

        ChunkChecksums.KeyComparison compareKeys(TableShape shape, List<List<String>> keys) throws SQLException, InterruptedException {
            return compareKeys(shape, keys, NAMED_ROWS);
        }

        ChunkChecksums.KeyComparison compareKeys(TableShape shape, List<List<String>> keys, int limit) throws SQLException, InterruptedException {
            return with(sources, s -> with2(targets, t -> ChunkChecksums.compareKeys(s, t, shape, keys, limit)));
        }

        @Override
        public void close() {
            pool.shutdownNow();
            for (Connection c : all) {
                try {
                    c.close();
                }
                catch (SQLException e) {
                    LOG.debug("Closing a validation connection: {}", e.getMessage());
                }
            }
        }
    }
}
