package io.pgshift.app.logging;

import org.slf4j.Marker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Drops one ERROR that a clean stop of the capture writes: when Debezium's embedded engine stops, it interrupts the task's
 * polling thread, which may be reading its last committed offsets at that moment ({@code PostgresConnectorTask.performCommit},
 * Debezium 3.6); Kafka Connect's {@code OffsetStorageReaderImpl} then logs the {@link InterruptedException} as
 * "Failed to fetch offsets". Nothing failed: the offsets were committed before. Any other failure of that class, and the same
 * message with another cause, is still logged. Registered as a {@code turboFilter} in {@code logback.xml}.
 */
public final class InterruptedOffsetReadFilter extends TurboFilter {

    static final String LOGGER = "org.apache.kafka.connect.storage.OffsetStorageReaderImpl";

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (level == Level.ERROR && logger != null && LOGGER.equals(logger.getName()) && interrupted(t, params)) {
            return FilterReply.DENY;
        }
        return FilterReply.NEUTRAL;
    }

    /** The throwable comes as the last parameter when the message has placeholders ({@code log.error("... {}: ", ns, e)}). */
    private static boolean interrupted(Throwable t, Object[] params) {
        Throwable cause = t;
        if (cause == null && params != null && params.length > 0 && params[params.length - 1] instanceof Throwable last) {
            cause = last;
        }
        for (Throwable c = cause; c != null; c = c.getCause()) {
            if (c instanceof InterruptedException) {
                return true;
            }
        }
        return false;
    }
}
