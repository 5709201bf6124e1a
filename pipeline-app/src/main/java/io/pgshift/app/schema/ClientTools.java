package io.pgshift.app.schema;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PostgreSQL client programs pgshift runs ({@code pg_dump}, {@code pg_restore}): where they are, their
 * version, and running them with the connection in the environment, so a password never appears on a
 * command line (where {@code ps} would show it).
 */
public final class ClientTools {

    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)(?:\\.(\\d+))?");
    static final String INSTALL_HINT = "Install the PostgreSQL client tools of the source's major version or newer"
            + " (Debian/Ubuntu: apt-get install -y postgresql-client, or postgresql-client-<major> from apt.postgresql.org)";

    /** What a finished program printed (stdout and stderr together) and its exit code. */
    public record Result(int exitCode, String output) {
    }

    private ClientTools() {
    }

    /** The program's path: {@code PGSHIFT_PG_BIN} if set, then the usual places, then the {@code PATH}. */
    public static String locate(String program) {
        List<Path> dirs = new ArrayList<>();
        String configured = System.getenv("PGSHIFT_PG_BIN");
        if (configured != null && !configured.isBlank()) {
            dirs.add(Path.of(configured));
        }
        dirs.add(Path.of("/usr/bin"));
        dirs.add(Path.of("/usr/local/bin"));
        for (Path dir : dirs) {
            if (Files.isExecutable(dir.resolve(program))) {
                return dir.resolve(program).toString();
            }
        }
        return program;
    }

    /** The program's major version ({@code pg_dump --version}), or empty when it cannot be run. */
    public static OptionalInt majorVersion(String program) {
        try {
            Result r = run(List.of(locate(program), "--version"), Map.of(), Duration.ofSeconds(30), program + " --version");
            Matcher m = VERSION.matcher(r.output());
            return r.exitCode() == 0 && m.find() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
        }
        catch (IOException e) {
            return OptionalInt.empty();
        }
    }

    /**
     * Runs a program to the end with {@code environment} added to its own, and returns its exit code and output.
     *
     * @param what what the program does, for messages ("dumping the schema of source database 'shop'")
     */
    public static Result run(List<String> command, Map<String, String> environment, Duration timeout, String what) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(environment);
        Process p;
        try {
            p = pb.start();
        }
        catch (IOException e) {
            throw new IOException(Path.of(command.get(0)).getFileName() + " is needed for " + what + " but could not be started ("
                    + e.getMessage() + "). " + INSTALL_HINT + ", or point PGSHIFT_PG_BIN at their folder.", e);
        }
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException("Timed out after " + timeout + " " + what);
            }
        }
        catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted " + what, e);
        }
        return new Result(p.exitValue(), out.strip());
    }
}
