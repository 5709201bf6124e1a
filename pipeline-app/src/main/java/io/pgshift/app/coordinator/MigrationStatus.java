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

    /** One source database and its target database. */
    public record Database(String source, String target, String slot, String loadState, long rowsLoaded, long rowsExpected,
                           Long loadDurationMs, long pendingChanges, long pendingWalBytes, long latencyMs, String lastAppliedAt,
                           String error, List<Table> tables) {
    }

    /**
     * One table.
     *
     * @param loadState    queued, loading, completed, failed (or skipped without a load)
     * @param rowsExpected the planner's estimate of the source table's rows when the capture started; −1 when the table was never
     *                     analyzed
     */
    public record Table(String table, String loadState, long rowsLoaded, long rowsExpected, Long loadDurationMs, long inserts, long updates,
                        long deletes, long truncates, String lastChangeAt, long errors, String lastError) {
    }
}
