package io.pgshift.core.change;

/** What a change record does to its table. */
public enum ChangeOp {
    /** A row read by the initial snapshot. */
    READ('r'),
    CREATE('c'),
    UPDATE('u'),
    DELETE('d'),
    TRUNCATE('t');

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
        throw new IllegalArgumentException("Unknown change operation '" + code + "' (expected one of r, c, u, d, t)");
    }

    public char code() {
        return code;
    }

    /** Whether the record carries a full row image to write. */
    public boolean writesRow() {
        return this == READ || this == CREATE || this == UPDATE;
    }
}
