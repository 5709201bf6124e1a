package io.pgshift.core.load;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.pgshift.core.TableId;

/**
 * One record of a load topic ({@code pgshift.<migration>.<database>.load}), which carries the bulk snapshot as COPY data. The
 * record's value is COPY data of whole rows, complete in itself ({@code COPY ... FROM STDIN} takes it as it is: in binary
 * format with the file header and trailer); its headers say what it is. Every header value is UTF-8 text:
 * <ul>
 *   <li>{@code pgshift.load.type}: {@code start} (a new load begins; no value), {@code part} (COPY data), {@code end} (every part of
 *       the load is in the topic before it; no value)</li>
 *   <li>{@code pgshift.load.id}: the load, as {@code <slot>@<consistent point LSN>} (on every record)</li>
 *   <li>{@code pgshift.load.schema}, {@code pgshift.load.table}: the table, unquoted</li>
 *   <li>{@code pgshift.load.columns}: the COPY column list, a JSON array of unquoted names</li>
 *   <li>{@code pgshift.load.format}: {@code text} or {@code binary}</li>
 *   <li>{@code pgshift.load.chunk}, {@code pgshift.load.chunks}: this chunk's number (from 0) and the table's number of chunks</li>
 *   <li>{@code pgshift.load.part}: the part's number within its chunk (from 0); {@code pgshift.load.last}: {@code true} on a
 *       chunk's last part</li>
 *   <li>{@code pgshift.load.rows}: the rows in this part</li>
 *   <li>{@code pgshift.load.compression}: {@code lz4} (the value is one LZ4 block of the COPY data) or {@code none} (the value is the
 *       COPY data); {@code none} when absent</li>
 *   <li>{@code pgshift.load.bytes}: the size of the COPY data, uncompressed</li>
 * </ul>
 * Parts of one chunk go to one partition, in order. A part is applied with its partition's watermark in one target transaction, so
 * it is applied exactly once.
 */
public record LoadPart(Type type, String loadId, TableId table, List<String> columns, Format format, int chunk, int chunks, int part,
                       boolean lastOfChunk, long rows, Compression compression, int bytes) {

    /** What a load record is. */
    public enum Type {
        START, PART, END
    }

    /** The COPY format of a part's data. */
    public enum Format {
        TEXT, BINARY
    }

    /** How a part's value holds its COPY data. */
    public enum Compression {
        /** The value is the COPY data. */
        NONE,
        /** The value is one LZ4 block (no frame) of the COPY data; {@code bytes} is its size. */
        LZ4
    }

    public static final String TYPE = "pgshift.load.type";
    public static final String LOAD_ID = "pgshift.load.id";
    public static final String SCHEMA = "pgshift.load.schema";
    public static final String TABLE = "pgshift.load.table";
    public static final String COLUMNS = "pgshift.load.columns";
    public static final String FORMAT = "pgshift.load.format";
    public static final String CHUNK = "pgshift.load.chunk";
    public static final String CHUNKS = "pgshift.load.chunks";
    public static final String PART = "pgshift.load.part";
    public static final String LAST = "pgshift.load.last";
    public static final String ROWS = "pgshift.load.rows";
    public static final String COMPRESSION = "pgshift.load.compression";
    public static final String BYTES = "pgshift.load.bytes";

    private static final ObjectMapper JSON = new ObjectMapper();

    public LoadPart {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(loadId, "loadId");
        columns = columns == null ? List.of() : List.copyOf(columns);
        compression = compression == null ? Compression.NONE : compression;
    }

    /** A marker record ({@link Type#START} or {@link Type#END}) of a load. */
    public static LoadPart marker(Type type, String loadId) {
        return new LoadPart(type, loadId, null, List.of(), null, 0, 0, 0, false, 0, Compression.NONE, 0);
    }

    /** The record's headers, in a stable order. */
    public Map<String, byte[]> headers() {
        Map<String, byte[]> h = new LinkedHashMap<>();
        h.put(TYPE, utf8(type.name().toLowerCase(java.util.Locale.ROOT)));
        h.put(LOAD_ID, utf8(loadId));
        if (type != Type.PART) {
            return h;
        }
        h.put(SCHEMA, utf8(table.schema()));
        h.put(TABLE, utf8(table.table()));
        try {
            h.put(COLUMNS, JSON.writeValueAsBytes(columns));
        }
        catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        h.put(FORMAT, utf8(format.name().toLowerCase(java.util.Locale.ROOT)));
        h.put(CHUNK, utf8(Integer.toString(chunk)));
        h.put(CHUNKS, utf8(Integer.toString(chunks)));
        h.put(PART, utf8(Integer.toString(part)));
        h.put(LAST, utf8(Boolean.toString(lastOfChunk)));
        h.put(ROWS, utf8(Long.toString(rows)));
        h.put(COMPRESSION, utf8(compression.name().toLowerCase(java.util.Locale.ROOT)));
        h.put(BYTES, utf8(Integer.toString(bytes)));
        return h;
    }

    /** Whether a record with these headers is a load record (else it is a change record). */
    public static boolean isLoadRecord(Function<String, byte[]> header) {
        return header.apply(TYPE) != null;
    }

    /**
     * Reads a load record's headers ({@code header} returns a header's last value, or null).
     *
     * @throws IllegalArgumentException naming the header that is missing or wrong
     */
    public static LoadPart fromHeaders(Function<String, byte[]> header) {
        String typeName = text(header, TYPE);
        Type type;
        try {
            type = Type.valueOf(typeName.toUpperCase(java.util.Locale.ROOT));
        }
        catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("header " + TYPE + " is '" + typeName + "'; expected start, part or end");
        }
        String loadId = text(header, LOAD_ID);
        if (type != Type.PART) {
            return marker(type, loadId);
        }
        List<String> columns;
        try {
            columns = JSON.readValue(text(header, COLUMNS), new TypeReference<List<String>>() { });
        }
        catch (JsonProcessingException e) {
            throw new IllegalArgumentException("header " + COLUMNS + " is not a JSON array of column names: " + e.getOriginalMessage());
        }
        if (columns.isEmpty() || columns.stream().anyMatch(c -> c == null || c.isEmpty())) {
            throw new IllegalArgumentException("header " + COLUMNS + " must list at least one column, and no empty name");
        }
        String formatName = text(header, FORMAT);
        Format format = switch (formatName) {
            case "text" -> Format.TEXT;
            case "binary" -> Format.BINARY;
            default -> throw new IllegalArgumentException("header " + FORMAT + " is '" + formatName + "'; expected text or binary");
        };
        // Parts written before compression existed carry neither header: their value is the COPY data.
        Compression compression = Compression.NONE;
        if (header.apply(COMPRESSION) != null) {
            String compressionName = text(header, COMPRESSION);
            compression = switch (compressionName) {
                case "none" -> Compression.NONE;
                case "lz4" -> Compression.LZ4;
                default -> throw new IllegalArgumentException("header " + COMPRESSION + " is '" + compressionName + "'; expected none or lz4");
            };
        }
        int bytes = header.apply(BYTES) == null ? -1 : number(header, BYTES);
        if (compression == Compression.LZ4 && bytes < 0) {
            throw new IllegalArgumentException("header " + BYTES + " is missing or negative on an lz4 part");
        }
        return new LoadPart(type, loadId, new TableId(text(header, SCHEMA), text(header, TABLE)), columns, format, number(header, CHUNK),
                number(header, CHUNKS), number(header, PART), Boolean.parseBoolean(text(header, LAST)), Long.parseLong(text(header, ROWS)),
                compression, bytes);
    }

    /** {@code COPY table (columns) FROM STDIN ...} for this part. */
    public String copyFromSql() {
        StringBuilder b = new StringBuilder("COPY ").append(table.quoted()).append(" (");
        for (int i = 0; i < columns.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(io.pgshift.core.Identifiers.quote(columns.get(i)));
        }
        return b.append(") FROM STDIN").append(format == Format.BINARY ? " (FORMAT binary)" : "").toString();
    }

    private static int number(Function<String, byte[]> header, String name) {
        String v = text(header, name);
        try {
            return Integer.parseInt(v);
        }
        catch (NumberFormatException e) {
            throw new IllegalArgumentException("header " + name + " is '" + v + "'; expected a whole number");
        }
    }

    private static String text(Function<String, byte[]> header, String name) {
        byte[] v = header.apply(name);
        if (v == null) {
            throw new IllegalArgumentException("header " + name + " is missing");
        }
        return new String(v, StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
