package io.pgshift.core.change;

/** What a change record does to its table. */
public enum ChangeOp {
    /** A row read by the initial snapshot. */
    READ('r'),
    CREATE('c'),
    UPDATE('u'),
    DELETE('d'),
    TRUNCATE('t'),
    /**
     * A schema change of the source (pgshift's DDL capture, pgshift.ddl), at its place in the stream: {@link ChangeEvent#after()} holds
     * {@link ChangeEvent#DDL_ID}, {@link ChangeEvent#DDL_COMMAND}, {@link ChangeEvent#DDL_ORDINAL}, {@link ChangeEvent#DDL_TAG} and
     * {@link ChangeEvent#DDL_SEARCH_PATH}. Never a Debezium op.
     */
    DDL('x');

    private final char code;

    ChangeOp(char code) {
        this.code = code;
    }

    /** Debezium's {@code op} field. */
    public static ChangeOp fromCode(String code) {
        if (code != null && code.length() == 1) {
            for (ChangeOp op : values()) {
                if (op.code == code.charAt(0)) {
                    return op;
                }
            }
        }
        throw new IllegalArgumentException("Unknown change operation '" + code + "' (expected one of r, c, u, d, t, x)");
    }

    public char code() {
        return code;
    }

    /** Whether the record carries a full row image to write. */
    public boolean writesRow() {
        return this == READ || this == CREATE || this == UPDATE;
    }
}
