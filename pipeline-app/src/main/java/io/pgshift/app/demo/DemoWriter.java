package io.pgshift.app.demo;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.core.PgEndpoint;

/** Keeps changing the demo's shop while it migrates: new orders with items, updates, deletes. */
final class DemoWriter implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(DemoWriter.class);

    private final PgEndpoint source;
    private final String database;
    private final AtomicLong transactions = new AtomicLong();
    private volatile boolean running = true;
    private volatile Throwable failure;

    DemoWriter(PgEndpoint source, String database) {
        this.source = source;
        this.database = database;
    }

    @Override
    public void run() {
        try (Connection c = source.connect(database, "pgshift-demo-writer")) {
            c.setAutoCommit(false);
            try (PreparedStatement newOrder = c.prepareStatement("INSERT INTO orders (customer_id, placed_at, ship_window) VALUES (?, localtimestamp, ?::interval) RETURNING id");
                 PreparedStatement newItem = c.prepareStatement("INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price) VALUES (?, ?, ?, ?, ?)");
                 PreparedStatement total = c.prepareStatement("UPDATE orders SET total = (SELECT sum(quantity * unit_price) FROM order_items WHERE order_id = ?), status = 'paid' WHERE id = ?");
                 PreparedStatement touchCustomer = c.prepareStatement("UPDATE customers SET note = ?, vip = NOT vip, prefs = prefs || jsonb_build_object('seen', now()::text) WHERE id = ?");
                 PreparedStatement newCustomer = c.prepareStatement("INSERT INTO customers (email, name, country, birthday) VALUES (?, ?, 'SE', date '1990-05-17') ");
                 PreparedStatement deleteOrder = c.prepareStatement("DELETE FROM orders WHERE id = (SELECT min(id) FROM orders WHERE id >= ?)");
                 PreparedStatement reprice = c.prepareStatement("UPDATE products SET price = price + 0.01, tags = tags || 'repriced'::text WHERE id = ?")) {
                while (running) {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    int kind = r.nextInt(10);
                    if (kind < 4) {
                        newOrder.setLong(1, 1 + r.nextInt(50_000));
                        newOrder.setString(2, r.nextInt(48) + " hours");
                        long id;
                        try (var rs = newOrder.executeQuery()) {
                            rs.next();
                            id = rs.getLong(1);
                        }
                        for (int line = 1; line <= 1 + r.nextInt(3); line++) {
                            newItem.setLong(1, id);
                            newItem.setInt(2, line);
                            newItem.setInt(3, 1 + r.nextInt(5000));
                            newItem.setInt(4, 1 + r.nextInt(4));
                            newItem.setBigDecimal(5, java.math.BigDecimal.valueOf(100 + r.nextInt(90_000), 2));
                            newItem.executeUpdate();
                        }
                        total.setLong(1, id);
                        total.setLong(2, id);
                        total.executeUpdate();
                    }
                    else if (kind < 7) {
                        touchCustomer.setString(1, "changed at " + System.nanoTime() + " ✓");
                        touchCustomer.setLong(2, 1 + r.nextInt(50_000));
                        touchCustomer.executeUpdate();
                    }
                    else if (kind < 8) {
                        long n = transactions.get();
                        newCustomer.setString(1, "new" + n + "-" + System.nanoTime() + "@example.com");
                        newCustomer.setString(2, "New customer " + n);
                        newCustomer.executeUpdate();
                    }
                    else if (kind < 9) {
                        deleteOrder.setLong(1, 1 + r.nextInt(150_000));
                        deleteOrder.executeUpdate();
                    }
                    else {
                        reprice.setInt(1, 1 + r.nextInt(5000));
                        reprice.executeUpdate();
                    }
                    c.commit();
                    transactions.incrementAndGet();
                    Thread.sleep(4);
                }
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        catch (SQLException | RuntimeException e) {
            failure = e;
            LOG.error("The demo writer failed: {}", e.getMessage());
        }
    }

    void stop() {
        running = false;
    }

    long transactions() {
        return transactions.get();
    }

    Throwable failure() {
        return failure;
    }
}
