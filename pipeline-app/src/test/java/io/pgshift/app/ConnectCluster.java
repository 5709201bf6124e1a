package io.pgshift.app;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.cli.ConnectDistributed;
import org.apache.kafka.connect.runtime.Connect;

import io.pgshift.testkit.EmbeddedPostgres;
import io.pgshift.testkit.TestServers;

/**
 * A Kafka Connect cluster of distributed workers in this JVM, on the shared broker: one group, its own internal topics. The
 * connectors' plugins (Debezium's PostgreSQL connector, pgshift's sink, Apicurio's Avro converter) are on the test class path.
 */
final class ConnectCluster implements AutoCloseable {

    /** One worker: its runtime and REST URL. */
    record Worker(Connect<?> connect, String rest, String id) {
        void stop() {
            connect.stop();
            connect.awaitStop();
        }
    }

    private final List<Worker> workers = new ArrayList<>();

    /** Starts {@code size} workers of group {@code pgshift-it-<name>}; each returns once it has joined. */
    static ConnectCluster start(TestServers servers, String name, int size) throws java.io.IOException {
        ConnectCluster cluster = new ConnectCluster();
        for (int i = 0; i < size; i++) {
            int port = EmbeddedPostgres.freePort();
            Map<String, String> worker = new HashMap<>();
            worker.put("bootstrap.servers", servers.bootstrapServers());
            worker.put("group.id", "pgshift-it-" + name);
            worker.put("config.storage.topic", "connect-configs-" + name);
            worker.put("offset.storage.topic", "connect-offsets-" + name);
            worker.put("status.storage.topic", "connect-status-" + name);
            worker.put("config.storage.replication.factor", "1");
            worker.put("offset.storage.replication.factor", "1");
            worker.put("status.storage.replication.factor", "1");
            worker.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
            worker.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
            worker.put("listeners", "http://127.0.0.1:" + port);
            worker.put("rest.advertised.host.name", "127.0.0.1");
            worker.put("rest.advertised.port", Integer.toString(port));
            // Source offsets are committed every second: the cutover's fence waits for them (README: production workers set this too).
            worker.put("offset.flush.interval.ms", "1000");
            // A worker that leaves has its tasks moved to the others after 5 s, not Connect's default 5 minutes.
            worker.put("scheduled.rebalance.max.delay.ms", "5000");
            worker.put("plugin.discovery", "service_load");
            worker.put("connector.client.config.override.policy", "All");
            cluster.workers.add(new Worker(new ConnectDistributed().startConnect(worker), "http://127.0.0.1:" + port, "127.0.0.1:" + port));
        }
        return cluster;
    }

    List<Worker> workers() {
        return workers;
    }

    Worker worker(int i) {
        return workers.get(i);
    }

    @Override
    public void close() {
        for (Worker w : workers) {
            try {
                w.stop();
            }
            catch (RuntimeException e) {
                // already stopped
            }
        }
    }
}
