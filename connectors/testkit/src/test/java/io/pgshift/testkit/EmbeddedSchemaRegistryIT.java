package io.pgshift.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

/** The tests' schema registry starts as a process, answers the Confluent REST API (register, read back by id, subjects) and stops. */
class EmbeddedSchemaRegistryIT {

    private static final String AVRO = "application/vnd.schemaregistry.v1+json";

    @Test
    void theRegistryKeepsAvroSchemasBehindTheConfluentApiAndStops() throws Exception {
        Path log = Files.createTempDirectory("pgshift-registry").resolve("registry.log");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String confluent;
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(log)) {
            confluent = registry.confluentUrl();
            assertThat(get(http, confluent + "/subjects").body()).isEqualTo("[]");

            String schema = "{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"Item\\\",\\\"namespace\\\":\\\"shop\\\",\\\"fields\\\":["
                    + "{\\\"name\\\":\\\"id\\\",\\\"type\\\":\\\"long\\\"},{\\\"name\\\":\\\"name\\\",\\\"type\\\":[\\\"null\\\",\\\"string\\\"]}]}";
            HttpResponse<String> registered = http.send(HttpRequest.newBuilder(URI.create(confluent + "/subjects/shop.items-value/versions"))
                    .header("Content-Type", AVRO).POST(HttpRequest.BodyPublishers.ofString("{\"schema\":\"" + schema + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(registered.statusCode()).isEqualTo(200);
            String id = registered.body().replaceAll("\\D", "");
            assertThat(id).isNotEmpty();

            assertThat(get(http, confluent + "/schemas/ids/" + id).body()).contains("Item").contains("shop");
            assertThat(get(http, confluent + "/subjects").body()).isEqualTo("[\"shop.items-value\"]");
            assertThat(get(http, confluent + "/subjects/shop.items-value/versions").body()).isEqualTo("[1]");
        }
        assertThatThrownBy(() -> get(http, confluent + "/subjects")).isInstanceOf(ConnectException.class);
        assertThat(Files.readString(log)).contains("Listening on");
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Accept", AVRO).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
