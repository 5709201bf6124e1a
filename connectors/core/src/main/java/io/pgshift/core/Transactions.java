package io.pgshift.core;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** Work in one transaction on a connection: committed when it returns, rolled back when it throws; the autocommit mode is restored. */
public final class Transactions {

    private Transactions() {
    }

    /** Statements run in the transaction. */
    public interface Work<T> {
        T run(Statement st) throws SQLException;
    }

    /** Runs the work in one transaction. */
    public static <T> T inOne(Connection c, Work<T> work) throws SQLException {
        return run(c, false, work);
    }

    /**
     * Runs the work in one {@code READ WRITE} transaction, whatever the database's {@code default_transaction_read_only}: pgshift's
     * own writes (fences, its schema and publication) go on while a cutover holds the source frozen.
     */
    public static <T> T readWrite(Connection c, Work<T> work) throws SQLException {
        return run(c, true, work);
    }

    private static <T> T run(Connection c, boolean readWrite, Work<T> work) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            if (readWrite) {
                st.execute("SET TRANSACTION READ WRITE");
            }
            T result = work.run(st);
            c.commit();
            return result;
        }
        catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        }
        finally {
            c.setAutoCommit(auto);
        }
    }
}
