package io.pgshift.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.pgshift.core.TableId;

class MigrationConfigLoaderTest {

    private static final String VALID = """
            name: shop
            source: { host: 127.0.0.1, port: 5432, user: postgres, password: ${SRC_PASSWORD} }
            target: { host: 127.0.0.1, port: 5433, user: postgres }
            databases:
              - { source: listdb, target: migratedb }
              - { source: other }
            tables: { include: ["public.*"], exclude: ["public.audit_*"] }
            kafka: { bootstrap: embedded }
            workDir: .pgshift
            """;

    private static MigrationConfig parse(String yaml) {
        return new MigrationConfigLoader(Map.of("SRC_PASSWORD", "s3cret-value")::get).parse(yaml, "migration.yaml");
    }

    @Test
    void anUnquotedOffIsTheWordOffWhereAKeyTakesWords() {
        // YAML 1.1 reads unquoted off/no as false: capture.ddl takes the words auto and off.
        assertThat(parse(VALID + "capture: { ddl: off }\n").captureDdl()).isFalse();
        assertThat(parse(VALID + "capture: { ddl: \"off\" }\n").captureDdl()).isFalse();
        assertThat(parse(VALID).captureDdl()).isTrue();
        assertThatThrownBy(() -> parse(VALID + "capture: { ddl: yes }\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'capture.ddl'").hasMessageContaining("auto or off");
    }

    @Test
    void readsTheIssueExampleWithDefaultsAndEnvironment() {
        MigrationConfig c = parse(VALID);
        assertThat(c.name()).isEqualTo("shop");
        assertThat(c.source().password().reveal()).isEqualTo("s3cret-value");
        assertThat(c.target().port()).isEqualTo(5433);
        assertThat(c.target().sslMode()).isEqualTo("prefer");
        assertThat(c.databases()).containsExactly(new MigrationConfig.DatabaseMapping("listdb", "migratedb"),
                new MigrationConfig.DatabaseMapping("other", "other"));
        assertThat(c.tables().matches(new TableId("public", "orders"))).isTrue();
        assertThat(c.tables().matches(new TableId("public", "audit_x"))).isFalse();
        assertThat(c.kafka().embedded()).isTrue();
        assertThat(c.kafka().partitionsPerTable()).isEqualTo(1);
        assertThat(c.maxBatchRecords()).isEqualTo(5000);
    }

    @Test
    void theEffectiveConfigurationNeverShowsThePassword() {
        MigrationConfig c = parse(VALID.replace("kafka: { bootstrap: embedded }",
                "kafka: { bootstrap: embedded, properties: { sasl.jaas.config: \"${SRC_PASSWORD}\", security.protocol: SASL_SSL } }"));
        assertThat(c.describe()).doesNotContain("s3cret-value").contains("******").contains("SASL_SSL");
        assertThat(c.source().toString()).doesNotContain("s3cret-value");
    }

    @Test
    void anUnknownKeyIsNamedWithTheLikelyOneAndTheValidOnes() {
        assertThatThrownBy(() -> parse(VALID.replace("host: 127.0.0.1, port: 5432", "hots: 127.0.0.1, port: 5432")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'source.hots'")
                .hasMessageContaining("did you mean 'host'")
                .hasMessageContaining("port, user, password");
        assertThatThrownBy(() -> parse(VALID + "colour: blue\n")).hasMessageContaining("'colour'").hasMessageContaining("at the top level");
        assertThatThrownBy(() -> parse(VALID.replace("- { source: other }", "- { source: other, tagret: x }")))
                .hasMessageContaining("'databases[1].tagret'").hasMessageContaining("did you mean 'target'");
    }

    @Test
    void aMissingValueIsNamedWithAnExample() {
        assertThatThrownBy(() -> parse(VALID.replace("name: shop\n", ""))).hasMessageContaining("'name'").hasMessageContaining("is missing");
        assertThatThrownBy(() -> parse(VALID.replace(", user: postgres }\ndatabases", " }\ndatabases")))
                .hasMessageContaining("'target.user'").hasMessageContaining("is missing");
        assertThatThrownBy(() -> new MigrationConfigLoader(k -> null).parse(VALID, "m.yaml"))
                .hasMessageContaining("'source.password'").hasMessageContaining("SRC_PASSWORD").hasMessageContaining("not set");
    }

    @Test
    void aBadValueIsNamedWithWhatIsValid() {
        assertThatThrownBy(() -> parse(VALID.replace("port: 5433", "port: 99999"))).hasMessageContaining("'target.port'")
                .hasMessageContaining("1 to 65535");
        assertThatThrownBy(() -> parse(VALID.replace("port: 5433", "port: five"))).hasMessageContaining("'target.port'")
                .hasMessageContaining("not a whole number");
        assertThatThrownBy(() -> parse(VALID.replace("name: shop", "name: Shop-1"))).hasMessageContaining("'name'")
                .hasMessageContaining("lower-case letters");
        assertThatThrownBy(() -> parse(VALID.replace("bootstrap: embedded", "bootstrap: kafka1"))).hasMessageContaining("'kafka.bootstrap'")
                .hasMessageContaining("host:port");
        assertThatThrownBy(() -> parse(VALID.replace("\"public.*\"]", "\"orders\"]"))).hasMessageContaining("'tables.include'")
                .hasMessageContaining("schema.table");
        assertThatThrownBy(() -> parse(VALID + "debezium: { slot.name: mine }\n")).hasMessageContaining("'debezium'")
                .hasMessageContaining("slot.name");
        assertThatThrownBy(() -> parse(VALID.replace("target: migratedb", "target: other"))).hasMessageContaining("'databases'")
                .hasMessageContaining("same target database");
        assertThatThrownBy(() -> parse("name: [")).hasMessageContaining("not valid YAML");
    }

    @Test
    void theExampleFileDocumentsEveryKeyAndLoads() throws Exception {
        Path example = Path.of("..", "config", "migration.example.yaml");
        String text = Files.readString(example);
        for (ConfigKey key : MigrationConfigDef.keys().values()) {
            assertThat(text).as("config/migration.example.yaml documents %s", key.path()).contains(key.leaf() + ":");
        }
        MigrationConfig c = new MigrationConfigLoader(k -> "x").parse(text, "migration.example.yaml");
        assertThat(c.name()).isNotBlank();
    }

    @Test
    void aConnectSectionStreamsThroughKafkaConnectInAvroWithItsSecretsHidden() {
        MigrationConfig c = parse(VALID.replace("kafka: { bootstrap: embedded }", """
                kafka:
                  bootstrap: "broker:9092"
                  format: avro
                  schemaRegistry: { url: "http://registry:8081", user: pgshift, password: "${SRC_PASSWORD}" }
                connect: { url: "http://connect:8083", user: ops, password: "${SRC_PASSWORD}", sinkTasks: 4, atCompletion: stop }"""));
        assertThat(c.viaConnect()).isTrue();
        assertThat(c.connect().url()).isEqualTo("http://connect:8083");
        assertThat(c.connect().sinkTasks()).isEqualTo(4);
        assertThat(c.connect().deleteAtCompletion()).isFalse();
        assertThat(c.kafka().avro()).isTrue();
        assertThat(c.kafka().schemaRegistry().converter()).isEqualTo("confluent");
        assertThat(c.kafka().schemaRegistry().password().reveal()).isEqualTo("s3cret-value");
        assertThat(c.describe()).contains("via Kafka Connect at http://connect:8083 (avro, registry http://registry:8081)").doesNotContain("s3cret-value");
        assertThat(parse(VALID).viaConnect()).isFalse();
    }

    @Test
    void connectSettingsThatCannotWorkAreRefusedAtTheirKey() {
        String connect = "kafka: { bootstrap: \"broker:9092\" }\nconnect: { url: \"http://connect:8083\" }";
        assertThatThrownBy(() -> parse(VALID.replace("kafka: { bootstrap: embedded }", "kafka: { bootstrap: embedded }\nconnect: { url: \"http://c:8083\" }")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'kafka.bootstrap'");
        assertThatThrownBy(() -> parse(VALID.replace("kafka: { bootstrap: embedded }", "kafka: { bootstrap: embedded, format: avro }")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'kafka.format'").hasMessageContaining("connect.url");
        assertThatThrownBy(() -> parse(VALID.replace("kafka: { bootstrap: embedded }", connect.replace("\"broker:9092\"", "\"broker:9092\", format: avro"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'kafka.schemaRegistry.url'");
        assertThatThrownBy(() -> parse(VALID.replace("kafka: { bootstrap: embedded }", connect.replace("http://connect:8083", "connect:8083"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'connect.url'");
        assertThatThrownBy(() -> parse(VALID.replace("kafka: { bootstrap: embedded }", connect.replace("http://connect:8083", "http://u:p@connect:8083"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'connect.url'").hasMessageNotContaining("u:p");
        assertThatThrownBy(() -> parse(VALID.replace("kafka: { bootstrap: embedded }", connect.replace("\"broker:9092\"", "\"broker:9092\", partitionsPerTable: 4"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'kafka.partitionsPerTable'");
        assertThatThrownBy(() -> parse(VALID.replace("kafka: { bootstrap: embedded }", connect + "\nload: { method: debezium }")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'load.method'");
        assertThatThrownBy(() -> parse(VALID.replace("kafka: { bootstrap: embedded }", "kafka: { bootstrap: \"broker:9092\" }\nconnect: { sinkTasks: 2 }")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'connect.url'");
    }

    @Test
    void theComposeDeploymentsMigrationLoadsAndStreamsThroughConnectInAvro() throws Exception {
        MigrationConfig c = new MigrationConfigLoader(k -> "x").parse(Files.readString(Path.of("..", "docker", "migration.yaml")), "docker/migration.yaml");
        assertThat(c.viaConnect()).isTrue();
        assertThat(c.kafka().avro()).isTrue();
        assertThat(c.kafka().schemaRegistry().converter()).isEqualTo("apicurio");
    }
}
