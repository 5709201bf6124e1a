package io.pgshift.source;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.ReplicationSlotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.core.Lsn;
import io.pgshift.core.PgEndpoint;

/**
 * A logical replication slot created by pgshift itself, with the snapshot it exports: every change committed after the slot's
 * consistent point streams from the slot, and every row committed before it is visible to a transaction that imports the snapshot
 * ({@code SET TRANSACTION SNAPSHOT}). The snapshot can be imported only while the replication connection that created the slot
 * stays open and idle, so this object holds it until {@link #close()}; transactions that imported it keep it afterwards.
 */
public final class ExportedSnapshot implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ExportedSnapshot.class);

    private final Connection replication;
    private final String slot;
    private final String name;
    private final Lsn consistentPoint;

    private ExportedSnapshot(Connection replication, String slot, String name, Lsn consistentPoint) {
        this.replication = replication;
        this.slot = slot;
        this.name = name;
        this.consistentPoint = consistentPoint;
    }

    /** Creates the slot (pgoutput) on a new replication connection and keeps that connection open. */
    public static ExportedSnapshot create(PgEndpoint source, String database, String slot) throws SQLException {
        Properties props = source.driverProperties("pgshift-snapshot-export");
        PGProperty.REPLICATION.set(props, "database");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(props, "10");
        PGProperty.PREFER_QUERY_MODE.set(props, "simple");
        Connection c = DriverManager.getConnection(source.jdbcUrl(database), props);
        try {
            ReplicationSlotInfo info = c.unwrap(PGConnection.class).getReplicationAPI().createReplicationSlot().logical()
                    .withSlotName(slot).withOutputPlugin("pgoutput").make();
            if (info.getSnapshotName() == null) {
                throw new SQLException("The source did not export a snapshot when creating replication slot " + slot);
            }
            Lsn lsn = Lsn.valueOf(info.getConsistentPoint().asLong());
            LOG.info("Replication slot {} created at {} with exported snapshot {}", slot, lsn, info.getSnapshotName());
            return new ExportedSnapshot(c, slot, info.getSnapshotName(), lsn);
        }
        catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * Starts a REPEATABLE READ, read-only transaction on {@code connection} that sees exactly this snapshot. Must be called while
     * this object is open.
     */
    public void importInto(Connection connection) throws SQLException {
        connection.setAutoCommit(false);
        connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try (var st = connection.createStatement()) {
            // The driver begins the transaction with this statement, so it is the transaction's first, as PostgreSQL requires.
            st.execute("SET TRANSACTION SNAPSHOT '" + name.replace("'", "''") + "'");
            st.execute("SET TRANSACTION READ ONLY");
        }
    }

    public String slot() {
        return slot;
    }

    public String name() {
        return name;
    }

    /** Where streaming starts: every change committed after this LSN comes from the slot. */
    public Lsn consistentPoint() {
        return consistentPoint;
    }

    /** Ends the export; the slot stays. */
    @Override
    public void close() {
        try {
            replication.close();
        }
        catch (SQLException e) {
            LOG.debug("Closing the snapshot's replication connection: {}", e.getMessage());
        }
    }
}
