package io.pgshift.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The servers every integration test of one JVM shares: a PostgreSQL 13 source, a PostgreSQL 16 target
 * and one Kafka broker, started on first use and stopped when the JVM exits. Tests isolate themselves
 * with a database of their own ({@link #newDatabasePair(String)}) and names derived from it.
 */
public final class TestServers {

    private static final Logger LOG = LoggerFactory.getLogger(TestServers.class);
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static volatile TestServers instance;

    private final Path root;
    private final EmbeddedPostgres source;
    private final EmbeddedPostgres target;
    private final EmbeddedKafkaBroker kafka;

    private TestServers(Path root, EmbeddedPostgres source, EmbeddedPostgres target, EmbeddedKafkaBroker kafka) {
        this.root = root;
        this.source = source;
        this.target = target;
        this.kafka = kafka;
    }

    public static TestServers get() {
        TestServers s = instance;
        if (s == null) {
            synchronized (TestServers.class) {
                s = instance;
                if (s == null) {
                    s = instance = start();
                }
            }
        }
        return s;
    }

    private static TestServers start() {
        long t0 = System.nanoTime();
        try {
            Path root = Files.createTempDirectory("pgshift-it-");
            EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(root.resolve("kafka"));
            EmbeddedPostgres[] pgs = EmbeddedPostgres.startPair(root);
            TestServers servers = new TestServers(root, pgs[0], pgs[1], kafka);
            Runtime.getRuntime().addShutdownHook(new Thread(servers::stopAll, "pgshift-testservers-stop"));
            LOG.info("Test servers up in {} ms: source PG13 :{}, target PG16 :{}, Kafka {}", (System.nanoTime() - t0) / 1_000_000,
                    pgs[0].port(), pgs[1].port(), kafka.bootstrapServers());
            return servers;
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void stopAll() {
        try {
            kafka.close();
        }
        catch (RuntimeException e) {
            LOG.warn("Stopping Kafka: {}", e.getMessage());
        }
        source.stop();
        target.stop();
        try {
            EmbeddedPostgres.deleteTree(root);
        }
        catch (IOException | RuntimeException e) {
            LOG.debug("Could not delete {}: {}", root, e.getMessage());
        }
    }

    public EmbeddedPostgres source() {
        return source;
    }

    public EmbeddedPostgres target() {
        return target;
    }

    public EmbeddedKafkaBroker kafka() {
        return kafka;
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** A scratch folder for one test. */
    public Path newFolder(String prefix) throws IOException {
        return Files.createDirectories(root.resolve("work").resolve(prefix + "-" + COUNTER.incrementAndGet()));
    }

    /**
     * Creates an empty database of a fresh name on the source and on the target, and returns the
     * name (lower case, a valid slot-name part).
     */
    public String newDatabasePair(String prefix) throws SQLException {
        String name = (prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "") + "_" + COUNTER.incrementAndGet()
                + "_" + Long.toString(System.nanoTime() % 100000, 36));
        source.createDatabase(name);
        target.createDatabase(name);
        return name;
    }
}
