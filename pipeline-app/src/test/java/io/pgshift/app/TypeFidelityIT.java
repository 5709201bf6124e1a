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
 * Every value arrives identical ({@code t::text} equal on both sides): a table per type family with one
 * row per tricky value, loaded by the snapshot, then written again, updated, deleted and re-keyed while
 * the migration streams.
 */
class TypeFidelityIT {

    /** Both load methods: pgshift's bulk COPY (binary for built-in types, text for the others) and Debezium's row events. */
    @org.junit.jupiter.params.ParameterizedTest(name = "load.method {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"copy", "debezium"})
    void everyTypeFamilyArrivesIdenticalBySnapshotAndByStreaming(String method) throws Exception {
        TestServers servers = TestServers.get();
        String db = servers.newDatabasePair("types");
        try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
            st.execute(SqlResource.load("/io/pgshift/app/types/schema.sql"));
        }
        String yaml = TestMigrations.yaml(servers, "types_" + db.replaceAll("[^a-z0-9]", ""), db, servers.newFolder("types"))
                .replace("tables: { include: [\"public.*\"] }", "tables: { include: [\"*.*\"] }") + "load: { method: " + method + " }\n";
        MigrationConfig config = new io.pgshift.app.config.MigrationConfigLoader(System::getenv).parse(yaml, "types");
        try (Pipeline pipeline = Pipeline.start(config)) {
            pipeline.awaitCaughtUp(Duration.ofMinutes(3));
            TestMigrations.assertTargetEqualsSource(servers, db);

            try (Connection c = servers.source().connect(db); Statement st = c.createStatement()) {
                st.execute(SqlResource.load("/io/pgshift/app/types/changes.sql"));
            }
            pipeline.awaitCaughtUp(Duration.ofMinutes(3));
        }
        TestMigrations.assertTargetEqualsSource(servers, db);
    }
}
