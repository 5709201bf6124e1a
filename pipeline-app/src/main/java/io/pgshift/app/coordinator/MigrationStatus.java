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
     * @param schemaChangesHeld the schema changes the target database holds (oldest first; see {@link SchemaChange}): while one is
     *                listed, the changes of its tables wait and the cutover refuses
     */
    public record Database(String source, String target, String slot, String loadState, long rowsLoaded, long rowsExpected,
                           Long loadDurationMs, long pendingChanges, long pendingWalBytes, long latencyMs, String lastAppliedAt,
                           String error, List<Table> tables, io.pgshift.app.connect.ConnectStreaming.View connect,
                           List<SchemaChange> schemaChangesHeld) {
    }

    /**
     * A schema change of the source that the target holds: not carried by pgshift, refused by the target, or (negative id) change records
     * with columns the target table lacks.
     *
     * @param tables   the tables whose changes wait at it; empty when it holds no table, only the cutover
     * @param arrived  how many Kafka partitions of those tables have reached it
     * @param fix      the commands that resolve it
     */
    public record SchemaChange(long id, String tag, String statement, List<String> tables, String reason, String heldAt, int arrived, String fix) {
        static SchemaChange of(io.pgshift.sink.SchemaChangeHolds.Held h) {
            return new SchemaChange(h.id(), h.tag(), h.statement(), h.tables(), h.reason(), h.heldAt().toString(), h.arrived(), h.fix());
        }
    }

    /**
     * One table.
     *
     * @param loadState    queued, loading, completed, failed (or skipped without a load)
     * @param rowsExpected the planner's estimate of the source table's rows when the capture started; −1 when the table was never
     *                     analyzed
     * @param validation   what the online validation found last; null before its first pass
     * @param heldBy       the id of the schema change its changes wait at ({@link Database#schemaChangesHeld}); null when none
     */
    public record Table(String table, String loadState, long rowsLoaded, long rowsExpected, Long loadDurationMs, long inserts, long updates,
                        long deletes, long truncates, String lastChangeAt, long errors, String lastError, TableValidation validation, Long heldBy) {
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
