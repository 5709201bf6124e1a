package io.pgshift.app;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.core.SqlResource;
import io.pgshift.testkit.TestServers;

/**
 * Every kind of change arrives: key changes (cascading to a child table), deletes under the default replica
 * identity, updates that leave TOASTed values untouched, a table without a primary key (REPLICA IDENTITY
 * FULL, duplicate rows and NULLs), rows moving between partitions, generated columns, a table whose
 * trigger writes another table, and TRUNCATE of tables linked by a foreign key. Target == source after each.
 */
class ChangeKindsIT {

    @Test
    void everyChangeKindArrivesAndTargetEqualsSourceAfterEach() throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("kinds");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute(SqlResource.load("/io/pgshift/app/kinds/schema.sql"));
        }
        MigrationConfig config = TestMigrations.config(servers, "kinds_" + db.replaceAll("[^a-z0-9]", ""), db, servers.newFolder("kinds"));
        try (Pipeline pipeline = Pipeline.start(config)) {
            pipeline.awaitCaughtUp(Duration.ofMinutes(3));
            TestMigrations.assertTargetEqualsSource(servers, db);

            step(servers, db, pipeline,
                    "UPDATE parent SET id = id + 1000 WHERE id <= 20", // key changes, cascading to child.parent_id
                    "DELETE FROM child WHERE id % 7 = 0",
                    "UPDATE parent SET name = name || '!' WHERE id % 10 = 0", // leaves the TOASTed big value untouched
                    "UPDATE parent SET id = id + 5000 WHERE id = 30"); // a key change of a row with a TOASTed value
            step(servers, db, pipeline,
                    "UPDATE keyless SET b = b || ' changed' WHERE a < 10",
                    "DELETE FROM keyless WHERE a BETWEEN 10 AND 12",
                    "UPDATE keyless SET j = '{\"new\": true}' WHERE a IS NULL",
                    "DELETE FROM keyless WHERE ctid = (SELECT ctid FROM keyless WHERE a = 20 LIMIT 1)",
                    "INSERT INTO keyless VALUES (20, 'row 20', '{\"g\": 20 }')");
            step(servers, db, pipeline,
                    "UPDATE measurement SET at = at + 400 WHERE id % 5 = 0", // moves rows between partitions
                    "DELETE FROM measurement WHERE id % 11 = 0",
                    "INSERT INTO measurement SELECT g, date '2023-06-01', 1 FROM generate_series(3000, 3100) g");
            step(servers, db, pipeline,
                    "UPDATE priced SET qty = qty + 1",
                    "INSERT INTO priced (id, qty, price) VALUES (101, 3, 2.50)");
            step(servers, db, pipeline,
                    "UPDATE audited SET v = v || '+'",
                    "INSERT INTO audited VALUES (51, 'new')");
            step(servers, db, pipeline,
                    "TRUNCATE child",
                    "INSERT INTO child SELECT g, 1000 + g % 20 + 1, 'again ' || g FROM generate_series(1, 100) g");
            step(servers, db, pipeline,
                    "TRUNCATE parent CASCADE", // truncates child too, in one statement
                    "TRUNCATE keyless");
            step(servers, db, pipeline,
                    "INSERT INTO parent VALUES (1, 'after truncate', NULL)",
                    "INSERT INTO child VALUES (1, 1, 'after truncate')");
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }

    private static void step(TestServers servers, String db, Pipeline pipeline, String... statements) throws Exception {
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        }
        pipeline.awaitCaughtUp(Duration.ofMinutes(2));
        TestMigrations.assertTargetEqualsSource(servers, db);
    }
}
