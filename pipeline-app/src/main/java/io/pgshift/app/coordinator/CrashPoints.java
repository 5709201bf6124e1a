package io.pgshift.app.coordinator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Points of the cutover where a crash test stops the JVM at once, as {@code kill -9} would (no shutdown hook, no flush): the system
 * property {@code pgshift.test.haltAt} names one of {@code after-freeze}, {@code after-catch-up}, {@code after-sequences},
 * {@code during-validation} (after the first table), {@code during-finish} (appliers stopped, target restored, completion not yet
 * recorded) and {@code after-completion-record}. Unset, nothing happens.
 */
final class CrashPoints {

    private static final Logger LOG = LoggerFactory.getLogger(CrashPoints.class);
    private static final String PROPERTY = "pgshift.test.haltAt";

    private CrashPoints() {
    }

    static void reached(String point) {
        if (point.equals(System.getProperty(PROPERTY))) {
            LOG.warn("Halting the JVM at cutover point '{}' ({}): a crash test", point, PROPERTY);
            Runtime.getRuntime().halt(137);
        }
    }
}
