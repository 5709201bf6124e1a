package io.pgshift.testkit;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import io.pgshift.core.PgEndpoint;

/**
 * A thread that keeps changing a source database, one transaction at a time, until stopped: the
 * live application of the demo and of the end-to-end tests. Subclasses say what one transaction does.
 */
public abstract class SourceWriter implements Runnable {

    private final PgEndpoint source;
    private final String database;
    private final long pauseMillis;
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private volatile boolean running = true;
    private volatile Throwable failure;

    protected SourceWriter(PgEndpoint source, String database, long pauseMillis) {
        this.source = source;
        this.database = database;
        this.pauseMillis = pauseMillis;
    }

    /** Prepares statements on the writer's connection (autocommit off). */
    protected abstract void prepare(Connection connection) throws SQLException;

    /** Does the work of one transaction; the caller commits. */
    protected abstract void writeOne(ThreadLocalRandom random) throws SQLException;

    /** Closes what {@link #prepare} opened. */
    protected abstract void release() throws SQLException;

    /** Starts the writer on a daemon thread of its own. */
    public final <W extends SourceWriter> W start(String threadName) {
        Thread t = new Thread(this, threadName);
        t.setDaemon(true);
        t.start();
        @SuppressWarnings("unchecked")
        W self = (W) this;
        return self;
    }

    @Override
    public final void run() {
        while (running) {
            try (Connection c = source.connect(database, "demo-app-writer")) {
                c.setAutoCommit(false);
                prepare(c);
                try {
                    while (running) {
                        writeOne(ThreadLocalRandom.current());
                        c.commit();
                        transactions.incrementAndGet();
                        Thread.sleep(pauseMillis);
                    }
                }
                finally {
                    release();
                }
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            catch (SQLException e) {
                if (!refusedByFrozenSource(e)) {
                    failure = e;
                    return;
                }
                // A frozen source (read-only, this session ended by the freeze) refuses writes, as it would the application's.
                refused.incrementAndGet();
                try {
                    Thread.sleep(200);
                }
                catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            catch (RuntimeException e) {
                failure = e;
                return;
            }
        }
    }

    /** Read-only transaction (25006), session terminated by an administrator (57P01), or the connection lost (08...). */
    private static boolean refusedByFrozenSource(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.equals("25006") || state.equals("57P01") || state.startsWith("08"));
    }

    public void stop() {
        running = false;
    }

    public long transactions() {
        return transactions.get();
    }

    /** Transactions a frozen source refused (the writer retries until stopped). */
    public long refused() {
        return refused.get();
    }

    /** Why the writer stopped by itself, or null. */
    public Throwable failure() {
        return failure;
    }
}
