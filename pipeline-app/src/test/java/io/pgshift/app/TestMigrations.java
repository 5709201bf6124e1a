package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.core.TableSelection;
import io.pgshift.core.validation.TableComparator;
import io.pgshift.core.validation.TableComparison;
import io.pgshift.testkit.TestServers;

/** Configurations against the shared test servers, and the final proof that target == source. */
final class TestMigrations {

    private TestMigrations() {
    }

    static String yaml(TestServers servers, String name, String database, Path workDir) {
        return String.join("\n",
                "name: " + name,
                "source: { host: 127.0.0.1, port: " + servers.source().port() + ", user: postgres }",
                "target: { host: 127.0.0.1, port: " + servers.target().port() + ", user: postgres }",
                "databases:",
                "  - { source: " + database + " }",
                "tables: { include: [\"public.*\"] }",
                "kafka: { bootstrap: \"" + servers.bootstrapServers() + "\" }",
                "capture: { heartbeatIntervalMs: 1000 }",
                "workDir: \"" + workDir + "\"",
                "");
    }

    static MigrationConfig config(TestServers servers, String name, String database, Path workDir) {
        return new MigrationConfigLoader(System::getenv).parse(yaml(servers, name, database, workDir), name);
    }

    /** Every table of the database: same row count and same md5 over its rows ordered by primary key, on both sides. */
    static TableComparison assertTargetEqualsSource(TestServers servers, String database) throws Exception {
        try (Connection s = servers.source().connect(database); Connection t = servers.target().connect(database)) {
            TableComparison comparison = TableComparator.compare(s, t, TableSelection.all());
            assertThat(comparison.entries()).as("tables compared").isNotEmpty();
            assertThat(comparison.mismatches()).as("tables that differ:\n%s", comparison).isEmpty();
            return comparison;
        }
    }
}
