package io.pgshift.source;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.core.SqlResource;
import io.pgshift.core.catalog.TableInfo;
import io.pgshift.core.load.LoadPart;
import io.pgshift.core.load.PartValues;

/**
 * pgshift's bulk snapshot of one source database: parallel readers, each a transaction that imported the slot's exported snapshot,
 * {@code COPY} chunks of the tables {@code TO STDOUT} and publish the rows as parts of at most {@code partBytes} on the load topic,
 * cut at row boundaries (PostgreSQL sends every row of a COPY as one message) and compressed with LZ4 ({@link PartValues}). The
 * parts of a chunk go to one partition in order; an {@code end} record on every partition closes the load once Kafka acknowledged
 * every part, and only a load that read every chunk writes them.
 */
final class BulkLoader {

    private static final Logger LOG = LoggerFactory.getLogger(BulkLoader.class);
    /** COPY's binary file header: signature, flags, header extension length 0. */
    private static final byte[] BINARY_HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final byte[] BINARY_TRAILER = {(byte) 0xff, (byte) 0xff};

    /** What the load moved. */
    record Summary(long rows, long bytes, int chunks, int tables, long millis) {
    }

    private final CaptureConfig config;
    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final int partitions;
    private final String loadId;
    private final AtomicReference<Exception> sendFailure = new AtomicReference<>();
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final List<Connection> readers = new ArrayList<>();
    private volatile boolean cancelled;

    BulkLoader(CaptureConfig config, Producer<byte[], byte[]> producer, String topic, int partitions, String loadId) {
        this.config = config;
        this.producer = producer;
        this.topic = topic;
        this.partitions = partitions;
        this.loadId = loadId;
    }

    /** Writes the {@code start} record of a new load on every partition, before its slot is created. */
    static void publishMarkers(Producer<byte[], byte[]> producer, String topic, int partitions, LoadPart marker) throws InterruptedException {
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            sends.add(producer.send(record(topic, p, marker, null)));
        }
        producer.flush();
        for (Future<RecordMetadata> f : sends) {
            try {
                f.get();
            }
            catch (ExecutionException e) {
                throw new KafkaPublisher.KafkaPublishException("Kafka did not acknowledge the " + marker.type().name().toLowerCase(java.util.Locale.ROOT)
                        + " record of the load on " + topic + ": " + e.getCause().getMessage(), e.getCause());
            }
        }
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, int partition, LoadPart part, byte[] value) {
        RecordHeaders headers = new RecordHeaders();
        part.headers().forEach(headers::add);
        return new ProducerRecord<>(topic, partition, null, null, value, headers);
    }

    /**
     * Opens the readers in the snapshot and plans the chunks; the snapshot may be released once this returns (every reader holds it).
     *
     * @return the chunks, the largest first
     */
    List<LoadChunk> open(ExportedSnapshot snapshot, List<TableInfo> tables) throws SQLException {
        for (int i = 0; i < config.load().readers(); i++) {
            Connection c = config.source().connect(config.database(), "pgshift-load-" + i);
            readers.add(c);
            snapshot.importInto(c);
            try (Statement st = c.createStatement()) {
                // Text-format rows print under the same settings as the applier parses them.
                st.execute(SqlResource.load("session-text-format.sql"));
                st.execute("SET LOCAL statement_timeout = 0");
            }
        }
        List<LoadChunk> chunks = ChunkPlanner.plan(readers.get(0), tables, config.load().chunkBytes());
        LOG.info("Bulk load of '{}': {} tables in {} chunks, {} readers, snapshot {} at {}", config.database(), tables.size(), chunks.size(),
                readers.size(), snapshot.name(), snapshot.consistentPoint());
        return chunks;
    }

    /** Copies every chunk with the readers in parallel, then closes the load with its {@code end} records. */
    Summary run(List<LoadChunk> chunks) throws Exception {
        long t0 = System.nanoTime();
        ConcurrentLinkedQueue<LoadChunk> queue = new ConcurrentLinkedQueue<>(chunks);
        AtomicInteger sequence = new AtomicInteger();
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        for (int i = 0; i < readers.size(); i++) {
            Connection reader = readers.get(i);
            CompletableFuture<Void> worker = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    LoadChunk chunk;
                    while (!cancelled && (chunk = queue.poll()) != null) {
                        copy(reader, chunk, Math.floorMod(sequence.getAndIncrement(), partitions));
                    }
                    reader.commit();
                    worker.complete(null);
                }
                catch (Exception | Error e) {
                    cancelled = true;
                    worker.completeExceptionally(e);
                }
            }, "pgshift-load-" + config.database() + "-" + i);
            t.setDaemon(true);
            t.start();
            workers.add(worker);
        }
        try {
            CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).join();
        }
        catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
        finally {
            closeReaders();
        }
        if (cancelled) {
            // Stopped from outside: chunks are missing, so no end records; the next start finds the load unfinished and loads again.
            throw new LoadStoppedException("The bulk load of database '" + config.database() + "' was stopped before every chunk was read;"
                    + " the next start loads again from a new snapshot");
        }
        producer.flush();
        checkSends();
        publishMarkers(producer, topic, partitions, LoadPart.marker(LoadPart.Type.END, loadId));
        long tables = chunks.stream().map(LoadChunk::table).distinct().count();
        Summary summary = new Summary(rows.get(), bytes.get(), chunks.size(), (int) tables, (System.nanoTime() - t0) / 1_000_000);
        LOG.info("Bulk load of '{}' is in Kafka: {} rows, {} MB of COPY data in {} chunks of {} tables, {} ms", config.database(), summary.rows(),
                summary.bytes() >> 20, summary.chunks(), summary.tables(), summary.millis());
        return summary;
    }

    /** One chunk: its rows, in parts cut at row boundaries, each sent as soon as it is full; the last part says so. */
    private void copy(Connection reader, LoadChunk chunk, int partition) throws SQLException, InterruptedException {
        boolean binary = chunk.format() == LoadPart.Format.BINARY;
        int partBytes = config.load().partBytes();
        // A part is sent before a row would take it past partBytes, so the buffer outgrows this only for a row larger than a part.
        PartBuffer buffer = new PartBuffer(partBytes + BINARY_TRAILER.length, binary);
        CopyOut out = reader.unwrap(PGConnection.class).getCopyAPI().copyOut(chunk.copyToSql());
        int part = 0;
        boolean first = true;
        byte[] row;
        while ((row = out.readFromCopy()) != null) {
            int offset = 0;
            if (binary) {
                if (first) {
                    // The first message carries the file header before the first row.
                    int extension = ((row[15] & 0xff) << 24) | ((row[16] & 0xff) << 16) | ((row[17] & 0xff) << 8) | (row[18] & 0xff);
                    offset = 19 + extension;
                    first = false;
                    if (offset == row.length) {
                        continue;
                    }
                }
                if (row.length - offset == 2 && row[offset] == (byte) 0xff && row[offset + 1] == (byte) 0xff) {
                    continue; // the trailer
                }
            }
            if (buffer.rows > 0 && buffer.size + row.length - offset > partBytes) {
                send(chunk, partition, part++, false, buffer);
            }
            buffer.append(row, offset);
            if (cancelled) {
                out.cancelCopy();
                return;
            }
        }
        send(chunk, partition, part, true, buffer);
    }

    private void send(LoadChunk chunk, int partition, int part, boolean last, PartBuffer buffer) throws InterruptedException {
        checkSends();
        int size = buffer.finish();
        PartValues.Encoded value = buffer.encode();
        if (value.value().length > Topics.MAX_PAYLOAD_BYTES) {
            // Only a single row can come this large (a part is cut before it outgrows partBytes); Kafka would refuse it at every restart.
            throw new LoadRowTooLargeException("A row of " + chunk.table() + " (chunk " + (chunk.index() + 1) + " of " + chunk.count() + ") is "
                    + (size >> 20) + " MB of COPY data, " + (value.value().length >> 20) + " MB compressed: more than the "
                    + (Topics.MAX_PAYLOAD_BYTES >> 20) + " MB a record of the load topic " + topic + " may hold. Leave "
                    + chunk.table() + " out of the migration (tables.exclude) and copy it separately, for example with pg_dump --table"
                    + " during the cutover, or make its rows smaller on the source.");
        }
        LoadPart header = new LoadPart(LoadPart.Type.PART, loadId, chunk.table(), chunk.columns(), chunk.format(), chunk.index(), chunk.count(),
                part, last, buffer.rows, value.compression(), size);
        buffer.reset();
        long n = header.rows();
        producer.send(record(topic, partition, header, value.value()), (metadata, e) -> {
            if (e != null) {
                sendFailure.compareAndSet(null, e);
            }
            else {
                rows.addAndGet(n);
                bytes.addAndGet(size);
            }
        });
    }

    /** The load was stopped ({@link #cancel()}) before it read every chunk: it is not complete, and says so by writing no end records. */
    static final class LoadStoppedException extends RuntimeException {
        LoadStoppedException(String message) {
            super(message);
        }
    }

    /** A row too large for one Kafka record: the load cannot carry it, and loading again would not help. */
    static final class LoadRowTooLargeException extends RuntimeException {
        LoadRowTooLargeException(String message) {
            super(message);
        }
    }

    private void checkSends() {
        Exception e = sendFailure.get();
        if (e != null) {
            throw new KafkaPublisher.KafkaPublishException("Kafka did not acknowledge a part of the bulk load of database '" + config.database() + "' on "
                    + topic + ": " + e.getMessage() + ". Restarting pgshift starts the load again.", e);
        }
    }

    /** Stops the readers (their current COPY is cancelled). */
    void cancel() {
        cancelled = true;
    }

    private void closeReaders() {
        for (Connection c : readers) {
            try {
                c.close();
            }
            catch (SQLException e) {
                LOG.debug("Closing a load reader: {}", e.getMessage());
            }
        }
    }

    /** Rows of one part: COPY data, with the binary file header and trailer around them in binary format. */
    private static final class PartBuffer {
        private final boolean binary;
        private final PartValues.Encoder encoder = new PartValues.Encoder();
        private byte[] data;
        private int size;
        private long rows;

        PartBuffer(int capacity, boolean binary) {
            this.binary = binary;
            this.data = new byte[capacity];
            reset();
        }

        void reset() {
            size = 0;
            rows = 0;
            if (binary) {
                System.arraycopy(BINARY_HEADER, 0, data, 0, BINARY_HEADER.length);
                size = BINARY_HEADER.length;
            }
        }

        void append(byte[] row, int offset) {
            int n = row.length - offset;
            ensure(size + n + BINARY_TRAILER.length);
            System.arraycopy(row, offset, data, size, n);
            size += n;
            rows++;
        }

        private void ensure(int capacity) {
            if (capacity > data.length) {
                data = java.util.Arrays.copyOf(data, Math.max(capacity, data.length * 2));
            }
        }

        /** Ends the part (in binary format with the trailer) and returns its size. */
        int finish() {
            if (binary) {
                ensure(size + BINARY_TRAILER.length);
                System.arraycopy(BINARY_TRAILER, 0, data, size, BINARY_TRAILER.length);
                size += BINARY_TRAILER.length;
            }
            return size;
        }

        /** The finished part as a record value. */
        PartValues.Encoded encode() {
            return encoder.encode(data, size);
        }
    }

    static Map<String, String> topicConfigs() {
        // Parts are up to partBytes, but a single row larger than that travels alone: allow records up to Topics.MAX_RECORD_BYTES.
        return Map.of("retention.ms", "-1", "retention.bytes", "-1", "cleanup.policy", "delete", "max.message.bytes", Integer.toString(Topics.MAX_RECORD_BYTES));
    }
}
