package io.pgshift.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LsnTest {

    @Test
    void parsesAndPrintsAsPostgresDoes() {
        Lsn lsn = Lsn.parse("16/3002D50");
        assertThat(lsn.asLong()).isEqualTo((0x16L << 32) | 0x3002D50L);
        assertThat(lsn.toString()).isEqualTo("16/3002D50");
        assertThat(Lsn.valueOf(0x136).toString()).isEqualTo("0/136");
    }

    @Test
    void comparesUnsignedAndMeasuresBytes() {
        Lsn high = Lsn.parse("FFFFFFFF/0");
        Lsn low = Lsn.parse("1/0");
        assertThat(high).isGreaterThan(low);
        assertThat(Lsn.parse("0/200").bytesSince(Lsn.parse("0/100"))).isEqualTo(256);
        assertThat(Lsn.parse("0/100").bytesSince(Lsn.parse("0/200"))).isZero();
    }

    @Test
    void rejectsWhatIsNotAnLsnAndSaysWhatIs() {
        assertThatThrownBy(() -> Lsn.parse("12345")).hasMessageContaining("16/3002D50");
        assertThatThrownBy(() -> Lsn.parse("G/1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Lsn.parse("1/")).isInstanceOf(IllegalArgumentException.class);
    }
}
