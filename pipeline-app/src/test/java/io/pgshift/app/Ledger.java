package io.pgshift.app;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;
import java.util.List;

import io.pgshift.core.PgEndpoint;
import io.pgshift.testkit.SourceWriter;

/**
 * Test data: {@code accounts} (a large table) and {@code entries} (related to it by a foreign key), and a
 * writer that keeps inserting, updating and deleting in both. Every update of an account increments its
 * {@code rev}, so a change applied twice on the target is visible as the same (id, rev) written twice.
 */
final class Ledger extends SourceWriter {

    static final String SCHEMA = """
            CREATE TABLE accounts (
                id       bigserial PRIMARY KEY,
                rev      int NOT NULL DEFAULT 0,
                owner    text NOT NULL,
                balance  numeric(14,2) NOT NULL,
                opened   timestamptz NOT NULL DEFAULT now(),
                flags    int[],
                profile  jsonb
            );
            CREATE TABLE entries (
                account_id bigint NOT NULL REFERENCES accounts(id),
                seq        int NOT NULL,
                amount     numeric(12,2) NOT NULL,
                memo       text,
                booked_on  date NOT NULL,
                PRIMARY KEY (account_id, seq)
            );
            """;

    static void create(Connection c, int accounts) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(SCHEMA);
            st.execute("INSERT INTO accounts (owner, balance, opened, flags, profile) SELECT 'owner ' || g || CASE WHEN g % 7 = 0 THEN E' \\\\ \"q\" \\t ✓' ELSE '' END,"
                    + " (g % 10000) * 1.25, timestamptz '2021-03-04 05:06:07.123456+00' + g * interval '1 minute', ARRAY[g % 3, g % 5],"
                    + " jsonb_build_object('tier', g % 4, 'tags', jsonb_build_array('a', g)) FROM generate_series(1, " + accounts + ") g");
            st.execute("INSERT INTO entries (account_id, seq, amount, memo, booked_on) SELECT 1 + (g % " + accounts + "), g, (g % 977) * 0.5,"
                    + " CASE WHEN g % 3 = 0 THEN NULL ELSE 'memo ' || g END, date '2024-01-01' + g % 365 FROM generate_series(1, " + (accounts / 5) + ") g");
        }
    }

    private PreparedStatement insert;
    private PreparedStatement entry;
    private PreparedStatement update;
    private PreparedStatement updateEntry;
    private PreparedStatement deleteEntries;
    private PreparedStatement delete;
    private long maxId = 1000;

    private Ledger(PgEndpoint source, String database) {
        super(source, database, 2);
    }

    static Ledger start(PgEndpoint source, String database) {
        return new Ledger(source, database).start("ledger-writer");
    }

    @Override
    protected void prepare(Connection c) throws SQLException {
        insert = c.prepareStatement("INSERT INTO accounts (owner, balance, flags) VALUES (?, ?, ARRAY[1,2,3]) RETURNING id");
        entry = c.prepareStatement("INSERT INTO entries (account_id, seq, amount, memo, booked_on) VALUES (?, ?, ?, ?, current_date)");
        update = c.prepareStatement("UPDATE accounts SET rev = rev + 1, balance = balance + ?, profile = jsonb_set(coalesce(profile, '{}'), '{n}', to_jsonb(rev)) WHERE id = ?");
        updateEntry = c.prepareStatement("UPDATE entries SET amount = amount + 1, memo = ? WHERE account_id = ? AND seq = (SELECT min(seq) FROM entries WHERE account_id = ?)");
        deleteEntries = c.prepareStatement("DELETE FROM entries WHERE account_id = ?");
        delete = c.prepareStatement("DELETE FROM accounts WHERE id = ?");
    }

    @Override
    protected void writeOne(ThreadLocalRandom r) throws SQLException {
        int kind = r.nextInt(10);
        if (kind < 3) {
            insert.setString(1, "new owner " + r.nextInt());
            insert.setBigDecimal(2, java.math.BigDecimal.valueOf(r.nextInt(100000), 2));
            long id;
            try (ResultSet rs = insert.executeQuery()) {
                rs.next();
                id = rs.getLong(1);
            }
            maxId = Math.max(maxId, id);
            for (int seq = 1; seq <= 2; seq++) {
                entry.setLong(1, id);
                entry.setInt(2, seq);
                entry.setBigDecimal(3, java.math.BigDecimal.valueOf(r.nextInt(10000), 2));
                entry.setString(4, seq == 1 ? null : "opening\nline");
                entry.executeUpdate();
            }
        }
        else if (kind < 7) {
            update.setBigDecimal(1, java.math.BigDecimal.valueOf(r.nextInt(1000) - 500, 2));
            update.setLong(2, 1 + r.nextLong(maxId));
            update.executeUpdate();
        }
        else if (kind < 9) {
            long id = 1 + r.nextLong(maxId);
            updateEntry.setString(1, "corrected " + r.nextInt(1000));
            updateEntry.setLong(2, id);
            updateEntry.setLong(3, id);
            updateEntry.executeUpdate();
        }
        else {
            long id = 1 + r.nextLong(maxId);
            deleteEntries.setLong(1, id);
            deleteEntries.executeUpdate();
            delete.setLong(1, id);
            delete.executeUpdate();
        }
    }

    @Override
    protected void release() throws SQLException {
        for (PreparedStatement ps : List.of(insert, entry, update, updateEntry, deleteEntries, delete)) {
            ps.close();
        }
    }
}
