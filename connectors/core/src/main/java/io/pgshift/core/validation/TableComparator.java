package io.pgshift.core.validation;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.pgshift.core.SqlResource;
import io.pgshift.core.TableId;
import io.pgshift.core.TableSelection;
import io.pgshift.core.catalog.Catalog;
import io.pgshift.core.catalog.TableInfo;

/**
 * Proves target == source for whole tables: for every selected source table, the same row count and the same checksum over its
 * rows' text forms ({@link ChunkChecksums}: the sum of every row's md5, so memory stays constant and nothing is sorted), computed
 * by each server itself. Each side runs in a REPEATABLE READ transaction, so every table is read at one moment of that server.
 * The migration's own validation works in chunks ({@code Validation} in the app); this whole-table form serves tests, benchmarks
 * and the demo's summary.
 */
public final class TableComparator {

    private TableComparator() {
    }

    public static TableComparison compare(Connection source, Connection target, TableSelection selection) throws SQLException {
        return compare(source, target, Catalog.selectedTables(source, selection));
    }

    /**
     * Compares these source tables with the target's tables of the same names. The two servers work at the same time: the target's
     * checksums are computed on a second thread while the source's are computed on this one.
     */
    public static TableComparison compare(Connection source, Connection target, List<TableInfo> tables) throws SQLException {
        boolean sourceAuto = source.getAutoCommit();
        boolean targetAuto = target.getAutoCommit();
        java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "pgshift-validate-target");
            t.setDaemon(true);
            return t;
        });
        try {
            begin(source);
            begin(target);
            // Both sides print each row with the source's columns in the source's order: a target table whose columns stand in
            // another order (an inheritance child re-created by pg_dump puts the inherited ones first) still holds the same rows.
            Map<TableId, ChunkChecksums.TableShape> shapes = new HashMap<>();
            for (TableInfo table : tables) {
                shapes.put(table.id(), ChunkChecksums.shape(source, table));
            }
            java.util.concurrent.Future<List<TableChecksum>> targetSide = other.submit(() -> {
                List<TableChecksum> sums = new ArrayList<>();
                for (TableInfo table : tables) {
                    sums.add(tableExists(target, table) ? checksum(target, shapes.get(table.id())) : null);
                }
                return sums;
            });
            List<TableChecksum> sourceSide = new ArrayList<>();
            for (TableInfo table : tables) {
                sourceSide.add(checksum(source, shapes.get(table.id())));
            }
            List<TableChecksum> targetSums = join(targetSide);
            List<TableComparison.Entry> entries = new ArrayList<>();
            for (int i = 0; i < tables.size(); i++) {
                entries.add(new TableComparison.Entry(sourceSide.get(i), targetSums.get(i)));
            }
            return new TableComparison(entries);
        }
        finally {
            other.shutdownNow();
            source.rollback();
            target.rollback();
            source.setAutoCommit(sourceAuto);
            target.setAutoCommit(targetAuto);
        }
    }

    private static List<TableChecksum> join(java.util.concurrent.Future<List<TableChecksum>> f) throws SQLException {
        try {
            return f.get();
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("Interrupted while the target computed its checksums", e);
        }
        catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof SQLException s) {
                throw s;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private static void begin(Connection c) throws SQLException {
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try (Statement st = c.createStatement()) {
            // The text forms depend on these settings: make both servers print with the same ones.
            st.execute(SqlResource.load("session-text-format.sql"));
        }
    }

    /** The table's row count and checksum over every row ({@link ChunkChecksums}: constant memory, no sort). */
    public static TableChecksum checksum(Connection connection, ChunkChecksums.TableShape shape) throws SQLException {
        ChunkChecksums.ChunkSum sum = ChunkChecksums.checksum(connection, shape, ChunkChecksums.KeyRange.whole());
        return new TableChecksum(shape.info().id(), sum.rows(), sum.checksum());
    }

    private static boolean tableExists(Connection connection, TableInfo table) throws SQLException {
        try (var ps = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table.id().quoted());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}
