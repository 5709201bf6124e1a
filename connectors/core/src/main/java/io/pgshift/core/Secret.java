package io.pgshift.core;

/** A password or key: its {@code toString} never shows the value, so it cannot leak into a log or an exception. */
public final class Secret {

    private static final Secret EMPTY = new Secret(null);
    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    public static Secret of(String value) {
        return value == null || value.isEmpty() ? EMPTY : new Secret(value);
    }

    public static Secret none() {
        return EMPTY;
    }

    /** The clear value, to hand to a driver; never to a log. */
    public String reveal() {
        return value;
    }

    public boolean isPresent() {
        return value != null;
    }

    @Override
    public String toString() {
        return value == null ? "(none)" : "******";
    }
}
