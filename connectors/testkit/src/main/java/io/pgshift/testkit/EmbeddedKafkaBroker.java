package io.pgshift.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;

/**
 * A single-node KRaft Kafka broker (broker and controller in one) inside this JVM, listening on
 * loopback. Its log and its ports are kept in its folder, so a restart on the same folder resumes
 * with every topic, record and committed offset.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    private final Path dir;
    private final int brokerPort;
    private final KafkaRaftServer server;

    private EmbeddedKafkaBroker(Path dir, int brokerPort, KafkaRaftServer server) {
        this.dir = dir;
        this.brokerPort = brokerPort;
        this.server = server;
    }

    /** Starts (formatting on first use) a broker whose data lives in {@code dir}. */
    public static EmbeddedKafkaBroker start(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path portsFile = dir.resolve("ports.properties");
        Properties ports = new Properties();
        if (Files.exists(portsFile)) {
            try (Reader r = Files.newBufferedReader(portsFile)) {
                ports.load(r);
            }
        }
        int brokerPort = reusablePort(ports.getProperty("broker"));
        int controllerPort = reusablePort(ports.getProperty("controller"));
        ports.setProperty("broker", Integer.toString(brokerPort));
        ports.setProperty("controller", Integer.toString(controllerPort));
        try (Writer w = Files.newBufferedWriter(portsFile)) {
            ports.store(w, "ports of the embedded Kafka broker");
        }

        Path logDir = dir.resolve("log");
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("log.dirs", logDir.toString());
        props.put("num.partitions", "1");
        props.put("default.replication.factor", "1");
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "4");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("min.insync.replicas", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("auto.create.topics.enable", "false");
        props.put("log.retention.hours", "-1");
        props.put("log.retention.bytes", "-1");
        props.put("log.segment.bytes", Integer.toString(256 * 1024 * 1024));
        props.put("message.max.bytes", Integer.toString(64 * 1024 * 1024));
        props.put("replica.fetch.max.bytes", Integer.toString(64 * 1024 * 1024));
        props.put("num.network.threads", "2");
        props.put("num.io.threads", "4");
        props.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));

        if (!Files.exists(logDir.resolve("meta.properties"))) {
            Path configFile = dir.resolve("server.properties");
            try (Writer w = Files.newBufferedWriter(configFile)) {
                props.store(w, "embedded Kafka broker");
            }
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            int rc = StorageTool.execute(new String[]{ "format", "-t", Uuid.randomUuid().toString(), "-c", configFile.toString() },
                    new PrintStream(buffer, true, StandardCharsets.UTF_8));
            if (rc != 0) {
                throw new IOException("Formatting the Kafka log folder " + logDir + " failed: " + buffer.toString(StandardCharsets.UTF_8));
            }
        }
        KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(props), Time.SYSTEM);
        server.startup();
        LOG.info("Embedded Kafka broker started on 127.0.0.1:{} (data {})", brokerPort, dir);
        return new EmbeddedKafkaBroker(dir, brokerPort, server);
    }

    private static int reusablePort(String saved) throws IOException {
        if (saved != null) {
            int port = Integer.parseInt(saved);
            try (var s = new java.net.ServerSocket(port, 0, java.net.InetAddress.getLoopbackAddress())) {
                return port;
            }
            catch (IOException taken) {
                LOG.info("Port {} of the embedded broker is taken; choosing another", port);
            }
        }
        return EmbeddedPostgres.freePort();
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        LOG.info("Embedded Kafka broker on 127.0.0.1:{} stopped", brokerPort);
    }
}
