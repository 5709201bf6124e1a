package io.pgshift.core.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.pgshift.core.TableId;

class LoadPartTest {

    @Test
    void headersRoundTripAndNameTheCopy() {
        LoadPart part = new LoadPart(LoadPart.Type.PART, "slot@0/1", new TableId("Sales", "order items"), List.of("id", "Note \"x\""),
                LoadPart.Format.BINARY, 3, 8, 2, true, 1234, LoadPart.Compression.LZ4, 98_304);
        Map<String, byte[]> headers = part.headers();
        assertThat(LoadPart.isLoadRecord(headers::get)).isTrue();
        assertThat(LoadPart.fromHeaders(headers::get)).isEqualTo(part);
        assertThat(part.copyFromSql()).isEqualTo("COPY \"Sales\".\"order items\" (\"id\", \"Note \"\"x\"\"\") FROM STDIN (FORMAT binary)");
    }

    @Test
    void markersCarryOnlyTheirTypeAndLoad() {
        LoadPart end = LoadPart.marker(LoadPart.Type.END, "slot@0/1");
        assertThat(end.headers()).containsOnlyKeys(LoadPart.TYPE, LoadPart.LOAD_ID);
        assertThat(LoadPart.fromHeaders(end.headers()::get)).isEqualTo(end);
    }

    @Test
    void aBrokenHeaderIsNamed() {
        Map<String, byte[]> headers = new HashMap<>(new LoadPart(LoadPart.Type.PART, "l", new TableId("public", "t"), List.of("a"),
                LoadPart.Format.TEXT, 0, 1, 0, true, 1, LoadPart.Compression.NONE, 10).headers());
        headers.put(LoadPart.FORMAT, "csv".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> LoadPart.fromHeaders(headers::get)).hasMessageContaining(LoadPart.FORMAT).hasMessageContaining("csv");
        headers.remove(LoadPart.COLUMNS);
        assertThatThrownBy(() -> LoadPart.fromHeaders(headers::get)).hasMessageContaining(LoadPart.COLUMNS + " is missing");
        assertThat(LoadPart.isLoadRecord(k -> null)).isFalse();
    }

    @Test
    void compressionIsNamedAndAPartWithoutItsHeadersIsPlainCopyData() {
        Map<String, byte[]> headers = new HashMap<>(new LoadPart(LoadPart.Type.PART, "l", new TableId("public", "t"), List.of("a"),
                LoadPart.Format.TEXT, 0, 1, 0, true, 1, LoadPart.Compression.LZ4, 10).headers());
        headers.put(LoadPart.COMPRESSION, "zstd".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> LoadPart.fromHeaders(headers::get)).hasMessageContaining(LoadPart.COMPRESSION).hasMessageContaining("zstd");
        headers.put(LoadPart.COMPRESSION, "lz4".getBytes(StandardCharsets.UTF_8));
        headers.remove(LoadPart.BYTES);
        assertThatThrownBy(() -> LoadPart.fromHeaders(headers::get)).hasMessageContaining(LoadPart.BYTES);
        headers.remove(LoadPart.COMPRESSION); // a part written before parts were compressed
        assertThat(LoadPart.fromHeaders(headers::get).compression()).isEqualTo(LoadPart.Compression.NONE);
    }
}
