package io.pgshift.app.coordinator;

import java.util.List;

/**
 * One snapshot of a migration's state: the JSON of {@code /status}, {@code pgshift status --json} and the status topic. Times are
 * ISO-8601 instants (null when not yet), durations milliseconds.
 *
 * @param running         false in the last snapshot a coordinator publishes as it stops
 * @param pendingChanges  records in Kafka not yet applied to the target (end offset − applied watermark, every partition)
 * @param pendingWalBytes source WAL not yet captured: the source's current LSN − the slot's confirmed flush LSN, summed
 * @param latencyMs       source commit → applied in the target, of the last change applied (−1 before the first)
 */
public record MigrationStatus(String type, String migration, boolean running, Phase phase, String reason, String updatedAt, String startedAt,
                              long pendingChanges, long pendingWalBytes, long latencyMs, int readyMaxPending, Cutover cutover,
                              List<Database> databases) {

    public static final String TYPE = "status";

    /** The cutover under way or last run; null when none was asked for. */
    public record Cutover(String commandId, String requestedBy, String step, String startedAt, boolean sourceFrozen, String result) {
    }

    /**
     * One source database and its target database.
     *
     * @param connect on Kafka Connect: its connectors' states and tasks, and per table-topic partition the end offset, the sink group's
     *                committed offset and lag (as Kafka tools show them) and the target's watermark; null when this process streams
     */
    public record Database(String source, String target, String slot, String loadState, long rowsLoaded, long rowsExpected,
                           Long loadDurationMs, long pendingChanges, long pendingWalBytes, long latencyMs, String lastAppliedAt,
                           String error, List<Table> tables, io.pgshift.app.connect.ConnectStreaming.View connect) {
    }

    /**
     * One table.
     *
     * @param loadState    queued, loading, completed, failed (or skipped without a load)
     * @param rowsExpected the planner's estimate of the source table's rows when the capture started; −1 when the table was never
     *                     analyzed
     * @param validation   what the online validation found last; null before its first pass
     */
    public record Table(String table, String loadState, long rowsLoaded, long rowsExpected, Long loadDurationMs, long inserts, long updates,
                        long deletes, long truncates, String lastChangeAt, long errors, String lastError, TableValidation validation) {
    }

    /**
     * The last online validation pass of one table.
     *
     * @param state           "equal" (every chunk), or "differs" (see {@code differences}; the pass compares again every 30 s)
     * @param chunks          chunks the pass compared
     * @param differingChunks chunks that still differed after three comparisons
     * @param rows            rows the pass counted on the source
     * @param sourceLsn       the source's WAL position when the pass began
     * @param passedAt        when the pass began
     * @param changedRowsSince rows the applier changed since (what a cutover compares by key); −1 when more than are kept
     * @param differences     per differing chunk: its range and the first differing keys
     */
    public record TableValidation(String state, int chunks, int differingChunks, long rows, String sourceLsn, String passedAt, long changedRowsSince,
                                  List<Validation.RangeDifference> differences) {
    }
}
