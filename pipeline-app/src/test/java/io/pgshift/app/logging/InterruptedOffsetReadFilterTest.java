package io.pgshift.app.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;

/** Only the interrupted offset read of a stopping engine is dropped; every other error of that logger, and of any other, stays. */
class InterruptedOffsetReadFilterTest {

    private final LoggerContext context = new LoggerContext();
    private final InterruptedOffsetReadFilter filter = new InterruptedOffsetReadFilter();

    @Test
    void onlyTheInterruptedOffsetReadIsDropped() {
        Logger reader = context.getLogger(InterruptedOffsetReadFilter.LOGGER);
        Object[] interrupted = {"pgshift.demo.shop", new InterruptedException()};
        assertThat(filter.decide(null, reader, Level.ERROR, "Failed to fetch offsets from namespace {}: ", interrupted, null))
                .isEqualTo(FilterReply.DENY);
        assertThat(filter.decide(null, reader, Level.ERROR, "Failed to fetch offsets", null, new RuntimeException(new InterruptedException())))
                .isEqualTo(FilterReply.DENY);
        assertThat(filter.decide(null, reader, Level.ERROR, "Failed to fetch offsets from namespace {}: ",
                new Object[] {"ns", new IllegalStateException("broker gone")}, null)).isEqualTo(FilterReply.NEUTRAL);
        assertThat(filter.decide(null, context.getLogger("io.pgshift.x"), Level.ERROR, "x", null, new InterruptedException()))
                .isEqualTo(FilterReply.NEUTRAL);
        assertThat(filter.decide(null, reader, Level.WARN, "x", null, new InterruptedException())).isEqualTo(FilterReply.NEUTRAL);
    }
}
