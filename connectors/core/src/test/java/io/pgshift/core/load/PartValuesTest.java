package io.pgshift.core.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.pgshift.core.TableId;

class PartValuesTest {

    private static LoadPart part(PartValues.Encoded encoded, int bytes) {
        return new LoadPart(LoadPart.Type.PART, "l", new TableId("public", "t"), List.of("a"), LoadPart.Format.TEXT, 0, 1, 0, true, 1,
                encoded.compression(), bytes);
    }

    @Test
    void rowsCompressAndComeBackByteForByte() {
        byte[] buffer = new byte[100_000];
        byte[] rows = "1\tfiller                                                        \\N\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
        System.arraycopy(rows, 0, buffer, 0, rows.length);
        PartValues.Encoded encoded = new PartValues.Encoder().encode(buffer, rows.length); // only the first length bytes count
        assertThat(encoded.compression()).isEqualTo(LoadPart.Compression.LZ4);
        assertThat(encoded.value().length).isLessThan(rows.length / 10);
        assertThat(PartValues.decode(part(encoded, rows.length), encoded.value())).isEqualTo(rows);
    }

    @Test
    void incompressibleDataTravelsAsItIs() {
        byte[] random = new byte[64 * 1024];
        new Random(7).nextBytes(random);
        PartValues.Encoded encoded = new PartValues.Encoder().encode(random, random.length);
        assertThat(encoded.compression()).isEqualTo(LoadPart.Compression.NONE);
        assertThat(encoded.value()).isEqualTo(random);
        assertThat(PartValues.decode(part(encoded, random.length), encoded.value())).isEqualTo(random);
    }

    @Test
    void anEncoderServesPartsOfEverySize() {
        PartValues.Encoder encoder = new PartValues.Encoder();
        for (int size : new int[]{ 0, 1, 5000, 1 << 20, 17 }) {
            byte[] data = new byte[size];
            Arrays.fill(data, (byte) 'x');
            PartValues.Encoded encoded = encoder.encode(data, size);
            assertThat(PartValues.decode(part(encoded, size), encoded.value())).as("size %d", size).isEqualTo(data);
        }
    }

    @Test
    void aCorruptValueIsRefusedByName() {
        byte[] rows = "2\tx\n".repeat(500).getBytes(StandardCharsets.UTF_8);
        PartValues.Encoded encoded = new PartValues.Encoder().encode(rows, rows.length);
        assertThatThrownBy(() -> PartValues.decode(part(encoded, rows.length + 1), encoded.value()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("public.t").hasMessageContaining(LoadPart.BYTES);
        byte[] truncated = Arrays.copyOf(encoded.value(), encoded.value().length / 2);
        assertThatThrownBy(() -> PartValues.decode(part(encoded, rows.length), truncated))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a valid LZ4 block");
        assertThatThrownBy(() -> PartValues.decode(part(encoded, Integer.MAX_VALUE), encoded.value()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than an LZ4 block");
    }
}
