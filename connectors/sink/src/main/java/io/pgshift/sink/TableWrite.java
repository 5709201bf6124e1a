package io.pgshift.sink;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import io.pgshift.core.change.ChangeEvent;

/**
 * Consecutive records of one {@link WriteShape} waiting to go to the target as few statements as possible:
 * snapshot rows as one {@code COPY}, upserts as multi-row {@code INSERT ... ON CONFLICT}, deletes as one
 * {@code DELETE ... WHERE key IN (...)}. A group is flushed before a record of another shape is applied, so
 * the order of operations on a table is kept.
 */
abstract class TableWrite {

    /** Rows per multi-row statement: PostgreSQL takes at most 65,535 parameters per statement. */
    static final int MAX_ROWS_PER_STATEMENT = 1000;
    private static final int MAX_PARAMETERS = 65_535;

    final WriteShape shape;
    final List<SourceRecordRef> records = new ArrayList<>();

    TableWrite(WriteShape shape) {
        this.shape = shape;
    }

    static TableWrite create(WriteShape shape, boolean batched) {
        if (shape.kind() == WriteShape.Kind.UPDATE_OR_INSERT) {
            return new UpdateOrInsert(shape);
        }
        if (!batched) {
            return new SingleRows(shape);
        }
        return switch (shape.kind()) {
            case COPY -> new CopyRows(shape);
            case UPSERT -> new MultiRowUpsert(shape);
            case DELETE -> new GroupedDelete(shape);
            default -> new SingleRows(shape);
        };
    }

    boolean accepts(WriteShape next) {
        return shape.equals(next);
    }

    void add(SourceRecordRef record) {
        records.add(record);
    }

    boolean isEmpty() {
        return records.isEmpty();
    }

    /** Writes the group; a failure of a one-record group names that record. */
    final void flush(Connection c) throws SQLException {
        if (records.isEmpty()) {
            return;
        }
        try {
            write(c);
        }
        catch (SQLException e) {
            SQLException cause = e.getNextException() != null ? e.getNextException() : e;
            if (records.size() == 1) {
                throw new RecordFailure(records.get(0), cause);
            }
            throw cause;
        }
    }

    abstract void write(Connection c) throws SQLException;

    static int rowsPerStatement(int parametersPerRow) {
        return Math.max(1, Math.min(MAX_ROWS_PER_STATEMENT, MAX_PARAMETERS / Math.max(1, parametersPerRow)));
    }

    /** Binds text untyped: the target parses it with the column's own input function. */
    static void bind(PreparedStatement ps, int index, String text) throws SQLException {
        if (text == null) {
            ps.setNull(index, Types.OTHER);
        }
        else {
            ps.setObject(index, text, Types.OTHER);
        }
    }

    /** Snapshot rows: one {@code COPY ... FROM STDIN} in text format for the whole group. */
    static final class CopyRows extends TableWrite {
        private static final int BUFFER_BYTES = 1 << 20;

        CopyRows(WriteShape shape) {
            super(shape);
        }

        @Override
        void write(Connection c) throws SQLException {
            CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn(shape.copySql());
            try {
                ByteArrayOutputStream buffer = new ByteArrayOutputStream(BUFFER_BYTES + 4096);
                StringBuilder line = new StringBuilder(256);
                for (SourceRecordRef r : records) {
                    line.setLength(0);
                    Map<String, String> after = r.event().after();
                    List<String> columns = shape.columns();
                    for (int i = 0; i < columns.size(); i++) {
                        if (i > 0) {
                            line.append('\t');
                        }
                        appendCopyField(line, shape.valueFor(columns.get(i), after.get(columns.get(i))));
                    }
                    line.append('\n');
                    byte[] bytes = line.toString().getBytes(StandardCharsets.UTF_8);
                    buffer.write(bytes, 0, bytes.length);
                    if (buffer.size() >= BUFFER_BYTES) {
                        copy.writeToCopy(buffer.toByteArray(), 0, buffer.size());
                        buffer.reset();
                    }
                }
                if (buffer.size() > 0) {
                    copy.writeToCopy(buffer.toByteArray(), 0, buffer.size());
                }
                copy.endCopy();
            }
            finally {
                if (copy.isActive()) {
                    copy.cancelCopy();
                }
            }
        }

        /** COPY's text format: backslash escapes for the characters that separate fields and rows; \N for NULL. */
        static void appendCopyField(StringBuilder b, String value) {
            if (value == null) {
                b.append("\\N");
                return;
            }
            for (int i = 0; i < value.length(); i++) {
                char ch = value.charAt(i);
                switch (ch) {
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    default -> b.append(ch);
                }
            }
        }
    }

    /**
     * Upserts as multi-row {@code INSERT ... ON CONFLICT (key) DO UPDATE}. A statement may not touch a row
     * twice, so a later record for a key already in the group replaces the earlier one: the same effect.
     */
    static final class MultiRowUpsert extends TableWrite {
        MultiRowUpsert(WriteShape shape) {
            super(shape);
        }

        @Override
        void write(Connection c) throws SQLException {
            Map<List<String>, SourceRecordRef> latest = new LinkedHashMap<>();
            for (SourceRecordRef r : records) {
                List<String> key = new ArrayList<>(shape.keyColumns().size());
                for (String k : shape.keyColumns()) {
                    key.add(r.event().after().get(k));
                }
                latest.remove(key);
                latest.put(key, r);
            }
            List<SourceRecordRef> rows = new ArrayList<>(latest.values());
            int perStatement = rowsPerStatement(shape.columns().size());
            for (int from = 0; from < rows.size(); from += perStatement) {
                List<SourceRecordRef> chunk = rows.subList(from, Math.min(rows.size(), from + perStatement));
                try (PreparedStatement ps = c.prepareStatement(shape.upsertSql(chunk.size()))) {
                    int i = 1;
                    for (SourceRecordRef r : chunk) {
                        for (String column : shape.columns()) {
                            bind(ps, i++, shape.valueFor(column, r.event().after().get(column)));
                        }
                    }
                    ps.executeUpdate();
                }
            }
        }
    }

    /** Deletes by key, grouped: {@code DELETE ... WHERE (key) IN ((...), ...)}. */
    static final class GroupedDelete extends TableWrite {
        GroupedDelete(WriteShape shape) {
            super(shape);
        }

        @Override
        void write(Connection c) throws SQLException {
            int perStatement = rowsPerStatement(shape.keyColumns().size());
            for (int from = 0; from < records.size(); from += perStatement) {
                List<SourceRecordRef> chunk = records.subList(from, Math.min(records.size(), from + perStatement));
                try (PreparedStatement ps = c.prepareStatement(shape.deleteSql(chunk.size()))) {
                    int i = 1;
                    for (SourceRecordRef r : chunk) {
                        for (String k : shape.keyColumns()) {
                            bind(ps, i++, r.event().key().get(k));
                        }
                    }
                    ps.executeUpdate();
                }
            }
        }
    }

    /** Row images of a table where PostgreSQL refuses ON CONFLICT (a rule on UPDATE or INSERT): UPDATE, then INSERT if no row was there. */
    static final class UpdateOrInsert extends TableWrite {
        UpdateOrInsert(WriteShape shape) {
            super(shape);
        }

        @Override
        void write(Connection c) throws SQLException {
            try (PreparedStatement update = c.prepareStatement(shape.updateSql());
                 PreparedStatement insert = c.prepareStatement(shape.insertSql())) {
                for (SourceRecordRef r : records) {
                    ChangeEvent e = r.event();
                    int i = 1;
                    for (String column : shape.columns()) {
                        String value = shape.valueFor(column, e.after().get(column));
                        bind(update, i, value);
                        bind(insert, i++, value);
                    }
                    for (String k : shape.keyColumns()) {
                        bind(update, i++, e.after().get(k));
                    }
                    if (update.executeUpdate() == 0) {
                        insert.executeUpdate();
                    }
                }
            }
        }
    }

    /** One statement per record, as a JDBC batch: updates that leave columns untouched, rows matched without a key, truncates. */
    static final class SingleRows extends TableWrite {
        SingleRows(WriteShape shape) {
            super(shape);
        }

        @Override
        void write(Connection c) throws SQLException {
            if (shape.kind() == WriteShape.Kind.TRUNCATE) {
                truncate(c);
                return;
            }
            try (PreparedStatement ps = c.prepareStatement(shape.singleRowSql())) {
                for (SourceRecordRef r : records) {
                    ChangeEvent e = r.event();
                    int i = 1;
                    for (String column : shape.columns()) {
                        bind(ps, i++, shape.valueFor(column, e.after().get(column)));
                    }
                    for (String k : shape.kind().findsRow() ? shape.keyColumns() : List.<String>of()) {
                        String value = e.key().get(k);
                        bind(ps, i++, value);
                        if (shape.kind().matchesAllColumns()) {
                            bind(ps, i++, value);
                        }
                    }
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }

        /**
         * TRUNCATE, or, when another table's foreign key references this one (the source truncated them
         * together, or cascaded), DELETE of every row: with {@code session_replication_role = replica}
         * foreign keys are not checked, and the referencing tables receive their own truncate records.
         * A TRUNCATE of a key-partitioned topic arrives once per partition, each removing the rows of its partition
         * ({@link io.pgshift.core.change.TruncateSlice}): a DELETE of those rows.
         */
        private void truncate(Connection c) throws SQLException {
            for (SourceRecordRef r : records) {
                io.pgshift.core.change.TruncateSlice slice = r.event().slice();
                if (slice != null) {
                    try (Statement st = c.createStatement()) {
                        st.execute("DELETE FROM " + shape.table().onlyQuoted() + " WHERE " + slice.sqlCondition());
                    }
                    continue;
                }
                Savepoint savepoint = c.setSavepoint();
                try (Statement st = c.createStatement()) {
                    st.execute("TRUNCATE TABLE " + shape.table().onlyQuoted());
                    c.releaseSavepoint(savepoint);
                }
                catch (SQLException e) {
                    if (!"0A000".equals(e.getSQLState())) {
                        throw e;
                    }
                    c.rollback(savepoint);
                    try (Statement st = c.createStatement()) {
                        st.execute("DELETE FROM " + shape.table().onlyQuoted());
                    }
                }
            }
        }
    }

    /** The one record a single-record statement failed on. */
    static final class RecordFailure extends SQLException {
        final transient SourceRecordRef record;
        final SQLException cause;

        RecordFailure(SourceRecordRef record, SQLException cause) {
            super(cause.getMessage(), cause.getSQLState(), cause);
            this.record = record;
            this.cause = cause;
        }
    }
}
