package io.pgshift.testkit;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgshift.core.Identifiers;
import io.pgshift.core.PgEndpoint;
import io.pgshift.core.Secret;

/**
 * A real PostgreSQL server started from the binaries of the zonky jars (13 and 16), on loopback,
 * with {@code wal_level=logical}. PostgreSQL refuses to run as root: when this JVM is root, every
 * server process runs as the unprivileged OS user {@code nobody}.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);
    public static final String SUPERUSER = "postgres";
    private static final String UNPRIVILEGED_USER = "nobody";

    private final int major;
    private final Path binDir;
    private final Path dataDir;
    private final int port;
    private volatile boolean running;

    private final Map<String, String> settings;
    private final Map<String, String> files;

    private EmbeddedPostgres(int major, Path binDir, Path dataDir, int port, Map<String, String> settings, Map<String, String> files) {
        this.settings = settings;
        this.files = files;
        this.major = major;
        this.binDir = binDir;
        this.dataDir = dataDir;
        this.port = port;
    }

    /**
     * Starts a server of the given major version (13 or 16). An existing data directory is reused, so a
     * restarted server keeps its databases; {@code port} 0 picks a free port.
     */
    public static EmbeddedPostgres start(int major, Path dataDir, int port) throws IOException {
        return start(major, dataDir, port, Map.of(), Map.of());
    }

    /**
     * Starts a server with some settings of {@code postgresql.auto.conf} changed (for example a server set up to fail
     * prerequisite checks), and extra files in its data directory (such as {@code server.crt}, {@code server.key}).
     */
    public static EmbeddedPostgres start(int major, Path dataDir, int port, Map<String, String> settings, Map<String, String> files)
            throws IOException {
        Path bin = installBinaries(major);
        int chosen = port == 0 ? freePort() : port;
        EmbeddedPostgres pg = new EmbeddedPostgres(major, bin, dataDir.toAbsolutePath(), chosen, Map.copyOf(settings), Map.copyOf(files));
        pg.initAndStart();
        return pg;
    }

    /** Starts a PostgreSQL 13 source and a PostgreSQL 16 target side by side (in parallel), under {@code root}. */
    public static EmbeddedPostgres[] startPair(Path root) throws IOException {
        java.util.concurrent.CompletableFuture<EmbeddedPostgres> target = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return start(16, root.resolve("pg16/data"), 0);
            }
            catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        EmbeddedPostgres source = start(13, root.resolve("pg13/data"), 0);
        try {
            return new EmbeddedPostgres[]{ source, target.join() };
        }
        catch (java.util.concurrent.CompletionException e) {
            source.stop();
            throw e.getCause() instanceof UncheckedIOException u ? u.getCause() : new IOException("PostgreSQL 16 did not start", e.getCause());
        }
    }

    public int major() {
        return major;
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
    }

    public PgEndpoint endpoint(String role) {
        return PgEndpoint.of(role, host(), port, SUPERUSER, Secret.none());
    }

    public Connection connect(String database) throws SQLException {
        return endpoint("embedded").connect(database, "pgshift-testkit");
    }

    public void createDatabase(String name) throws SQLException {
        try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + Identifiers.quote(name));
        }
    }

    /** Drops a database, ending its sessions and dropping replication slots that point into it. */
    public void dropDatabase(String name) throws SQLException {
        try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
            st.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = "
                    + Identifiers.literal(name) + " AND active_pid IS NOT NULL");
            st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = "
                    + Identifiers.literal(name) + " AND NOT active");
            st.execute("DROP DATABASE IF EXISTS " + Identifiers.quote(name) + (major >= 13 ? " WITH (FORCE)" : ""));
        }
    }

    private void initAndStart() throws IOException {
        Files.createDirectories(dataDir.getParent());
        openPath(dataDir.getParent());
        if (!Files.exists(dataDir.resolve("PG_VERSION"))) {
            Files.createDirectories(dataDir);
            Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
            chownIfRoot(dataDir);
            run(List.of(binDir.resolve("initdb").toString(), "-D", dataDir.toString(), "-U", SUPERUSER, "-A", "trust",
                    "-E", "UTF8", "--locale=C"), Duration.ofMinutes(2));
            Map<String, String> conf = new java.util.LinkedHashMap<>();
            conf.put("listen_addresses", "'127.0.0.1'");
            conf.put("unix_socket_directories", "''");
            conf.put("wal_level", "logical");
            conf.put("max_replication_slots", "64");
            conf.put("max_wal_senders", "64");
            conf.put("max_connections", "300");
            conf.put("shared_buffers", "128MB");
            conf.put("fsync", "off");
            conf.put("full_page_writes", "off");
            conf.put("max_wal_size", "2GB");
            conf.put("log_min_messages", "warning");
            conf.put("logging_collector", "off");
            conf.putAll(settings);
            StringBuilder text = new StringBuilder();
            conf.forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
            for (Map.Entry<String, String> f : files.entrySet()) {
                Path file = dataDir.resolve(f.getKey());
                Files.writeString(file, f.getValue(), StandardCharsets.UTF_8);
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            }
            Files.writeString(dataDir.resolve("postgresql.auto.conf"), text.toString(), StandardCharsets.UTF_8);
            Files.writeString(dataDir.resolve("pg_hba.conf"),
                    "host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n", StandardCharsets.UTF_8);
            chownIfRoot(dataDir);
        }
        Path log = dataDir.getParent().resolve("pg" + major + ".log");
        if (!Files.exists(log)) {
            Files.createFile(log);
        }
        chownIfRoot(log);
        run(List.of(binDir.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-l", log.toString(), "-w", "-t", "120",
                "-o", "-p " + port, "start"), Duration.ofMinutes(3));
        running = true;
        LOG.info("PostgreSQL {} started on 127.0.0.1:{} (data {})", major, port, dataDir);
    }

    /**
     * Makes an extension available to every server of this major version on this machine: its control file and its
     * install script go into the binaries' extension folder ({@code CREATE EXTENSION name} then works).
     */
    public void installExtension(String name, String version, String installSql) throws IOException {
        Path dir = binDir.getParent().resolve("share/postgresql/extension");
        Files.writeString(dir.resolve(name + ".control"), "comment = 'pgshift test extension'\ndefault_version = '" + version
                + "'\nrelocatable = true\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(name + "--" + version + ".sql"), installSql, StandardCharsets.UTF_8);
        for (Path f : List.of(dir.resolve(name + ".control"), dir.resolve(name + "--" + version + ".sql"))) {
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    public synchronized void stop() {
        if (!running) {
            return;
        }
        try {
            run(List.of(binDir.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "fast", "-w", "stop"), Duration.ofMinutes(1));
            running = false;
        }
        catch (IOException | RuntimeException e) {
            LOG.warn("Could not stop PostgreSQL {} on port {}: {}", major, port, e.getMessage());
        }
    }

    @Override
    public void close() {
        stop();
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static void chownIfRoot(Path path) throws IOException {
        if (isRoot()) {
            exec(List.of("chown", "-R", UNPRIVILEGED_USER, path.toString()), Duration.ofMinutes(1), false);
        }
    }

    /** Lets the unprivileged user walk down to a folder. */
    private static void openPath(Path dir) throws IOException {
        if (!isRoot()) {
            return;
        }
        for (Path p = dir.toAbsolutePath(); p != null && p.getParent() != null; p = p.getParent()) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                perms.add(PosixFilePermission.OTHERS_EXECUTE);
                Files.setPosixFilePermissions(p, perms);
            }
        }
    }

    private static void run(List<String> command, Duration timeout) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (isRoot()) {
            cmd.addAll(List.of("runuser", "-u", UNPRIVILEGED_USER, "--"));
        }
        cmd.addAll(command);
        exec(cmd, timeout, true);
    }

    private static void exec(List<String> cmd, Duration timeout, boolean cwdTmp) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (cwdTmp) {
            pb.directory(Path.of(System.getProperty("java.io.tmpdir")).toFile());
        }
        pb.environment().put("LC_ALL", "C");
        Process p = pb.start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException("Timed out after " + timeout + ": " + String.join(" ", cmd));
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted: " + String.join(" ", cmd), e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("Command failed (exit " + p.exitValue() + "): " + String.join(" ", cmd) + "\n"
                    + new String(out, StandardCharsets.UTF_8));
        }
    }

    /** Unpacks the binaries of one major version once per machine, into a folder every user can read. */
    static synchronized Path installBinaries(int major) throws IOException {
        String resource = "/io/pgshift/testkit/pg" + major + "/postgres-linux-x86_64.txz";
        Path root = Path.of(System.getProperty("java.io.tmpdir"), "pgshift-postgres-binaries", "pg" + major);
        Path marker = root.resolve(".complete");
        if (Files.exists(marker)) {
            return root.resolve("bin");
        }
        try (InputStream raw = EmbeddedPostgres.class.getResourceAsStream(resource)) {
            if (raw == null) {
                throw new IllegalStateException("PostgreSQL " + major + " binaries not on the classpath (" + resource
                        + "): build the testkit module with Maven, which unpacks them from the zonky jars");
            }
            Path staging = Files.createTempDirectory(root.getParent() == null ? Path.of("/tmp") : createDirs(root.getParent()), "staging");
            try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(new BufferedInputStream(raw)))) {
                TarArchiveEntry entry;
                while ((entry = tar.getNextEntry()) != null) {
                    Path target = staging.resolve(entry.getName()).normalize();
                    if (!target.startsWith(staging)) {
                        throw new IOException("Refusing archive entry outside its folder: " + entry.getName());
                    }
                    if (entry.isDirectory()) {
                        Files.createDirectories(target);
                    }
                    else if (entry.isSymbolicLink()) {
                        Files.createDirectories(target.getParent());
                        Files.deleteIfExists(target);
                        Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
                    }
                    else {
                        Files.createDirectories(target.getParent());
                        Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
                        boolean exec = (entry.getMode() & 0111) != 0;
                        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(exec ? "rwxr-xr-x" : "rw-r--r--"));
                    }
                }
            }
            try (var walk = Files.walk(staging)) {
                for (Path p : (Iterable<Path>) walk::iterator) {
                    if (Files.isDirectory(p) && !Files.isSymbolicLink(p)) {
                        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
                    }
                }
            }
            if (Files.exists(root)) {
                deleteTree(root);
            }
            Files.move(staging, root, StandardCopyOption.ATOMIC_MOVE);
            Files.createFile(marker);
            openPath(root);
            return root.resolve("bin");
        }
    }

    private static Path createDirs(Path p) throws IOException {
        Files.createDirectories(p);
        if (isRoot()) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return p;
    }

    /**
     * Stops the servers that an earlier process left running in data directories under {@code root}: one that ended without
     * stopping them, killed or out of heap ({@code -XX:+ExitOnOutOfMemoryError} exits without running shutdown hooks). A data
     * directory's {@code postmaster.pid} names its server; one whose process is gone is only a stale file. Returns the data
     * directories whose server was stopped.
     */
    public static List<Path> stopLeftovers(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<Path> pidFiles;
        try (var walk = Files.walk(root, 3)) {
            pidFiles = walk.filter(f -> f.getFileName().toString().equals("postmaster.pid")).toList();
        }
        List<Path> stopped = new ArrayList<>();
        for (Path pidFile : pidFiles) {
            Path dataDir = pidFile.getParent();
            long pid;
            int major;
            try {
                pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
                major = Integer.parseInt(Files.readString(dataDir.resolve("PG_VERSION")).trim());
            }
            catch (IOException | RuntimeException e) {
                continue; // not a data directory this kit wrote, or a pid file still being written
            }
            // pg_ctl signals the pid in the file: only when that process is still a PostgreSQL server (pids are reused).
            boolean server = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .flatMap(h -> h.info().command()).map(c -> c.endsWith("/postgres")).orElse(false);
            if (server) {
                LOG.warn("Stopping the PostgreSQL {} server (pid {}) that an earlier run left running in {}", major, pid, dataDir);
                run(List.of(installBinaries(major).resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "immediate", "-w", "stop"),
                        Duration.ofMinutes(1));
                stopped.add(dataDir);
            }
        }
        return stopped;
    }

    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            List<Path> paths = walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList();
            for (Path p : paths) {
                Files.deleteIfExists(p);
            }
        }
        catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
