package io.pgshift.core;

import java.util.Objects;

/**
 * A PostgreSQL write-ahead log position, printed and parsed as PostgreSQL does ({@code 16/3002D50}).
 * Never log the bare long: operators compare these with {@code pg_current_wal_lsn()}.
 */
public final class Lsn implements Comparable<Lsn> {

    public static final Lsn INVALID = new Lsn(0L);

    private final long value;

    private Lsn(long value) {
        this.value = value;
    }

    public static Lsn valueOf(long value) {
        return value == 0L ? INVALID : new Lsn(value);
    }

    /** Parses {@code X/Y} (hexadecimal halves), the form PostgreSQL prints. */
    public static Lsn parse(String text) {
        Objects.requireNonNull(text, "lsn");
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1) {
            throw new IllegalArgumentException("Not a PostgreSQL LSN: '" + text + "' (expected the form 16/3002D50)");
        }
        try {
            long hi = Long.parseLong(text.substring(0, slash), 16);
            long lo = Long.parseLong(text.substring(slash + 1), 16);
            if (hi > 0xFFFFFFFFL || lo > 0xFFFFFFFFL) {
                throw new NumberFormatException("half out of range");
            }
            return valueOf((hi << 32) | lo);
        }
        catch (NumberFormatException e) {
            throw new IllegalArgumentException("Not a PostgreSQL LSN: '" + text + "' (expected the form 16/3002D50)", e);
        }
    }

    public long asLong() {
        return value;
    }

    public boolean isValid() {
        return value != 0L;
    }

    /** Bytes of WAL from {@code earlier} to this position; 0 when {@code earlier} is ahead. */
    public long bytesSince(Lsn earlier) {
        return compareTo(earlier) > 0 ? value - earlier.value : 0L;
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Lsn other && other.value == value;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(value);
    }

    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase() + "/" + Long.toHexString(value & 0xFFFFFFFFL).toUpperCase();
    }
}
