package io.pgshift.sink;

import java.sql.Connection;
import java.sql.SQLException;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import io.pgshift.core.load.LoadPart;
import io.pgshift.core.load.PartValues;

/**
 * Bulk load parts of one table written through one {@code COPY ... FROM STDIN}. Every part is complete COPY data; consecutive parts
 * of a batch are joined into one statement (in binary format without the inner file headers and trailers), because PostgreSQL sets
 * up a COPY per statement: up to 1,000 buffered row slots, each of which pins the table's descriptor in the transaction's resource
 * owner, where adding and removing the same pointer again and again costs time that grows with the number of slots.
 */
final class LoadCopy {

    private static final byte[] BINARY_SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};
    private static final int BINARY_SIGNATURE_AND_FLAGS = 15;
    private static final byte[] BINARY_TRAILER = {(byte) 0xff, (byte) 0xff};

    private final LoadPart first;
    private final SourceRecordRef firstRecord;
    private final CopyIn in;
    private int parts;

    private LoadCopy(SourceRecordRef record, CopyIn in) {
        this.first = record.load();
        this.firstRecord = record;
        this.in = in;
    }

    /** Starts the COPY of a part's table; {@link #add} then writes the part itself. */
    static LoadCopy open(Connection c, SourceRecordRef record) throws SQLException {
        return new LoadCopy(record, c.unwrap(PGConnection.class).getCopyAPI().copyIn(record.load().copyFromSql()));
    }

    /** Whether a part goes to the same table and columns in the same format, so that it can join this COPY. */
    boolean accepts(LoadPart part) {
        return part.table().equals(first.table()) && part.columns().equals(first.columns()) && part.format() == first.format();
    }

    /** Writes a part's rows. */
    void add(SourceRecordRef record) throws SQLException {
        byte[] data;
        try {
            data = PartValues.decode(record.load(), record.data());
        }
        catch (IllegalArgumentException e) {
            cancel();
            throw new TableWrite.RecordFailure(record, new SQLException("Load record cannot be read: " + e.getMessage(), "22P04", e));
        }
        try {
            if (first.format() == LoadPart.Format.TEXT) {
                in.writeToCopy(data, 0, data.length);
            }
            else {
                int start = parts == 0 ? 0 : binaryHeaderLength(record, data);
                int end = data.length - BINARY_TRAILER.length;
                if (end < start || data[end] != BINARY_TRAILER[0] || data[end + 1] != BINARY_TRAILER[1]) {
                    throw new SQLException("Load record is not complete binary COPY data: it does not end with the trailer", "22P04");
                }
                in.writeToCopy(data, start, end - start);
            }
            parts++;
        }
        catch (SQLException e) {
            cancel();
            throw e instanceof TableWrite.RecordFailure ? e : new TableWrite.RecordFailure(record, e);
        }
    }

    /** Ends the COPY; the target then checks and inserts the last rows. */
    void finish() throws SQLException {
        try {
            if (first.format() == LoadPart.Format.BINARY) {
                in.writeToCopy(BINARY_TRAILER, 0, BINARY_TRAILER.length);
            }
            in.endCopy();
        }
        catch (SQLException e) {
            cancel();
            throw new TableWrite.RecordFailure(firstRecord, e);
        }
    }

    /** Abandons the COPY (its rows are rolled back with the transaction). */
    void cancel() {
        if (in.isActive()) {
            try {
                in.cancelCopy();
            }
            catch (SQLException ignored) {
                // the COPY failed anyway
            }
        }
    }

    /** The length of the file header of binary COPY data: signature and flags, the extension's length, and the extension. */
    private static int binaryHeaderLength(SourceRecordRef record, byte[] data) throws SQLException {
        if (data.length < BINARY_SIGNATURE_AND_FLAGS + 4 || !java.util.Arrays.equals(data, 0, BINARY_SIGNATURE.length, BINARY_SIGNATURE, 0,
                BINARY_SIGNATURE.length)) {
            throw new TableWrite.RecordFailure(record, new SQLException("Load record is not binary COPY data: no COPY file header", "22P04"));
        }
        int i = BINARY_SIGNATURE_AND_FLAGS;
        int extension = ((data[i] & 0xff) << 24) | ((data[i + 1] & 0xff) << 16) | ((data[i + 2] & 0xff) << 8) | (data[i + 3] & 0xff);
        return BINARY_SIGNATURE_AND_FLAGS + 4 + extension;
    }
}
