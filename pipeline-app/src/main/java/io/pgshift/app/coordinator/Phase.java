package io.pgshift.app.coordinator;

/** Where a migration stands, as its status, the web page and the metrics show it. */
public enum Phase {
    /** Checks, schema pre-data, capture start-up. */
    INITIALIZING,
    /** The consistent snapshot is being loaded into the target. */
    FULL_LOAD,
    /** Changes stream; more are pending than {@code cutover.readyMaxPending}. */
    INCREMENTAL_SYNC,
    /** Loaded, and the changes pending are under the threshold: a cutover now is short. */
    READY_TO_CUTOVER,
    /** A cutover command is being carried out: freeze, fence, catch-up, sequences, validation. */
    CUTOVER_IN_PROGRESS,
    /** The cutover proved the target complete and equal to the source. */
    COMPLETED,
    /** The migration stopped, or a cutover failed: the reason says which and why. */
    FAILED
}
