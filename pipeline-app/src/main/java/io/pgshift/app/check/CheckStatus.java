package io.pgshift.app.check;

/** The outcome of one prerequisite check. */
public enum CheckStatus {
    /** As it should be. */
    PASS,
    /** Works, with something the operator should know or decide. */
    WARN,
    /** The migration would not work, or would lose data: pgshift refuses to start. */
    FAIL
}
