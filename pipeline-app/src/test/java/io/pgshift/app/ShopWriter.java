package io.pgshift.app;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.pgshift.core.PgEndpoint;
import io.pgshift.testkit.SourceWriter;

/** The application of the cutover tests: keeps ordering, paying, and now and then cancelling, on the five tables of cutover/shop.sql. */
final class ShopWriter extends SourceWriter {

    private PreparedStatement order;
    private PreparedStatement item;
    private PreparedStatement pay;
    private PreparedStatement visit;
    private PreparedStatement cancel;
    private PreparedStatement product;
    private PreparedStatement customer;

    ShopWriter(PgEndpoint source, String database) {
        super(source, database, 2);
    }

    @Override
    protected void prepare(Connection c) throws SQLException {
        order = c.prepareStatement("INSERT INTO orders (customer_id) VALUES (?) RETURNING id");
        item = c.prepareStatement("INSERT INTO order_items (order_id, product_id, quantity) VALUES (?, ?, ?)");
        pay = c.prepareStatement("INSERT INTO payments (order_id, amount) VALUES (?, ?)");
        visit = c.prepareStatement("UPDATE customers SET visits = visits + 1 WHERE id = ?");
        cancel = c.prepareStatement("DELETE FROM orders WHERE id = (SELECT min(id) FROM orders WHERE id >= ? AND status = 'new')");
        product = c.prepareStatement("INSERT INTO products (title, price) VALUES (?, 9.99)");
        customer = c.prepareStatement("INSERT INTO customers (name) VALUES (?)");
    }

    @Override
    protected void writeOne(ThreadLocalRandom r) throws SQLException {
        int kind = r.nextInt(20);
        if (kind == 0) {
            cancel.setLong(1, 1 + r.nextInt(5000));
            cancel.executeUpdate();
            return;
        }
        if (kind == 1) {
            product.setString(1, "new product " + System.nanoTime());
            product.executeUpdate();
            customer.setString(1, "new customer " + System.nanoTime());
            customer.executeUpdate();
            return;
        }
        order.setInt(1, 1 + r.nextInt(2000));
        long id;
        try (ResultSet rs = order.executeQuery()) {
            rs.next();
            id = rs.getLong(1);
        }
        for (int i = 0; i <= r.nextInt(3); i++) {
            item.setLong(1, id);
            item.setInt(2, 1 + r.nextInt(300));
            item.setInt(3, 1 + r.nextInt(5));
            item.executeUpdate();
        }
        pay.setLong(1, id);
        pay.setBigDecimal(2, java.math.BigDecimal.valueOf(100 + r.nextInt(10_000), 2));
        pay.executeUpdate();
        visit.setInt(1, 1 + r.nextInt(2000));
        visit.executeUpdate();
    }

    @Override
    protected void release() throws SQLException {
        for (PreparedStatement ps : List.of(order, item, pay, visit, cancel, product, customer)) {
            ps.close();
        }
    }
}
