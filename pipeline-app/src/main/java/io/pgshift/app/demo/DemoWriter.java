package io.pgshift.app.demo;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.pgshift.core.PgEndpoint;
import io.pgshift.testkit.SourceWriter;

/** Keeps changing the demo's shop while it migrates: new orders with items, customers, updates, deletes. */
public final class DemoWriter extends SourceWriter {

    private PreparedStatement newOrder;
    private PreparedStatement newItem;
    private PreparedStatement total;
    private PreparedStatement touchCustomer;
    private PreparedStatement newCustomer;
    private PreparedStatement deleteOrder;
    private PreparedStatement reprice;

    public DemoWriter(PgEndpoint source, String database) {
        super(source, database, 4);
    }

    @Override
    protected void prepare(Connection c) throws SQLException {
        newOrder = c.prepareStatement("INSERT INTO orders (customer_id, placed_at, ship_window) VALUES (?, localtimestamp, ?::interval) RETURNING id");
        newItem = c.prepareStatement("INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price) VALUES (?, ?, ?, ?, ?)");
        total = c.prepareStatement("UPDATE orders SET total = (SELECT sum(quantity * unit_price) FROM order_items WHERE order_id = ?), status = 'paid' WHERE id = ?");
        touchCustomer = c.prepareStatement("UPDATE customers SET note = ?, vip = NOT vip, prefs = prefs || jsonb_build_object('seen', now()::text) WHERE id = ?");
        newCustomer = c.prepareStatement("INSERT INTO customers (email, name, country, birthday) VALUES (?, ?, 'SE', date '1990-05-17')");
        deleteOrder = c.prepareStatement("DELETE FROM orders WHERE id = (SELECT min(id) FROM orders WHERE id >= ?)");
        reprice = c.prepareStatement("UPDATE products SET price = price + 0.01, tags = tags || 'repriced'::text WHERE id = ?");
    }

    @Override
    protected void writeOne(ThreadLocalRandom r) throws SQLException {
        int kind = r.nextInt(10);
        if (kind < 4) {
            newOrder.setLong(1, 1 + r.nextInt(50_000));
            newOrder.setString(2, r.nextInt(48) + " hours");
            long id;
            try (ResultSet rs = newOrder.executeQuery()) {
                rs.next();
                id = rs.getLong(1);
            }
            for (int line = 1; line <= 1 + r.nextInt(3); line++) {
                newItem.setLong(1, id);
                newItem.setInt(2, line);
                newItem.setInt(3, 1 + r.nextInt(5000));
                newItem.setInt(4, 1 + r.nextInt(4));
                newItem.setBigDecimal(5, BigDecimal.valueOf(100 + r.nextInt(90_000), 2));
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
            newCustomer.setString(1, "new" + System.nanoTime() + "@example.com");
            newCustomer.setString(2, "New customer " + transactions());
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
    }

    @Override
    protected void release() throws SQLException {
        for (PreparedStatement ps : List.of(newOrder, newItem, total, touchCustomer, newCustomer, deleteOrder, reprice)) {
            ps.close();
        }
    }
}
