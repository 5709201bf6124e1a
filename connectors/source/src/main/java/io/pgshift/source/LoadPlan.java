package io.pgshift.source;

/** What the capture does with the initial load when it starts. */
public enum LoadPlan {
    /** No slot and no offset: a first load from a new consistent snapshot. */
    FRESH,
    /** The load completed earlier: stream on from the committed offset. */
    RESUME,
    /**
     * A previous load did not complete (or its slot is gone): the slot and the offset were dropped and
     * the load starts again from a new consistent snapshot. What the earlier attempt wrote must be
     * discarded on the target.
     */
    RESTART
}
