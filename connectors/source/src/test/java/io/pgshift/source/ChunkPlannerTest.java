package io.pgshift.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class ChunkPlannerTest {

    @Test
    void keyRangesCoverEveryValueWithOpenEnds() {
        assertThat(ChunkPlanner.splitRange("\"id\"", 1, 100, 4)).containsExactly(
                "\"id\" < 26", "\"id\" >= 26 AND \"id\" < 51", "\"id\" >= 51 AND \"id\" < 76", "\"id\" >= 76");
    }

    @Test
    void noMoreRangesThanValues() {
        assertThat(ChunkPlanner.splitRange("k", 5, 6, 10)).containsExactly("k < 6", "k >= 6");
        assertThat(ChunkPlanner.splitRange("k", 7, 7, 10)).containsExactly("");
    }

    @Test
    void theWholeBigintRangeSplitsWithoutOverflow() {
        List<String> ranges = ChunkPlanner.splitRange("k", Long.MIN_VALUE, Long.MAX_VALUE, 2);
        assertThat(ranges).containsExactly("k < 0", "k >= 0");
    }

    @Test
    void blockRangesEndOpen() {
        assertThat(ChunkPlanner.blockRanges(10, 3)).containsExactly("ctid < '(4,0)'::tid",
                "ctid >= '(4,0)'::tid AND ctid < '(8,0)'::tid", "ctid >= '(8,0)'::tid");
    }
}
