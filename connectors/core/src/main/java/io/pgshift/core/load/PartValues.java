package io.pgshift.core.load;

import java.util.Arrays;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;

/**
 * The value of a load part record: its COPY data as one LZ4 block when that is smaller, else as it is
 * ({@link LoadPart#compression()}). pgshift compresses parts itself rather than asking the producer to: a broker validates a
 * compressed Kafka batch by decompressing it, while a record whose value is already compressed it stores as it is, and the
 * consumer gets the smaller value without another copy.
 */
public final class PartValues {

    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();

    private PartValues() {
    }

    /** A part's value and how it holds its COPY data. */
    public record Encoded(LoadPart.Compression compression, byte[] value) {
    }

    /** Compresses parts of one reader, reusing its buffer. Not thread-safe. */
    public static final class Encoder {
        private final LZ4Compressor compressor = LZ4.fastCompressor();
        private byte[] scratch = new byte[0];

        /** The value for {@code length} bytes of COPY data starting at {@code data[0]}. */
        public Encoded encode(byte[] data, int length) {
            int max = compressor.maxCompressedLength(length);
            if (scratch.length < max) {
                scratch = new byte[max];
            }
            int n = compressor.compress(data, 0, length, scratch, 0, max);
            if (n >= length) {
                return new Encoded(LoadPart.Compression.NONE, Arrays.copyOf(data, length)); // incompressible, such as random bytea
            }
            return new Encoded(LoadPart.Compression.LZ4, Arrays.copyOf(scratch, n));
        }
    }

    /**
     * A part's COPY data from its record value.
     *
     * @throws IllegalArgumentException when the value is not what its headers say (a corrupt or foreign record)
     */
    public static byte[] decode(LoadPart part, byte[] value) {
        if (value == null) {
            throw new IllegalArgumentException("part " + part.part() + " of chunk " + part.chunk() + " of " + part.table() + " has no value");
        }
        if (part.compression() == LoadPart.Compression.NONE) {
            return value;
        }
        if (part.bytes() > (long) value.length * 255 + 64) { // past what LZ4 can expand to: a corrupt header, not a size to allocate
            throw new IllegalArgumentException("part " + part.part() + " of chunk " + part.chunk() + " of " + part.table() + " says "
                    + LoadPart.BYTES + " " + part.bytes() + ", more than an LZ4 block of " + value.length + " bytes can hold");
        }
        byte[] data = new byte[part.bytes()];
        int n;
        try {
            n = LZ4.safeDecompressor().decompress(value, 0, value.length, data, 0, data.length);
        }
        catch (LZ4Exception e) {
            throw new IllegalArgumentException("part " + part.part() + " of chunk " + part.chunk() + " of " + part.table()
                    + " is not a valid LZ4 block of " + part.bytes() + " bytes: " + e.getMessage(), e);
        }
        if (n != data.length) {
            throw new IllegalArgumentException("part " + part.part() + " of chunk " + part.chunk() + " of " + part.table() + " holds " + n
                    + " bytes of COPY data; its header " + LoadPart.BYTES + " says " + part.bytes());
        }
        return data;
    }
}
