package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** {@code pgshift migrate} with a bad configuration fails fast, naming the key or the host. */
class BadConfigurationTest {

    @TempDir
    Path dir;

    private record Result(int exit, String err) {
    }

    private Result migrate(String yaml) throws Exception {
        Path file = dir.resolve("migration.yaml");
        Files.writeString(file, yaml);
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        PrintWriter both = new PrintWriter(err, true);
        cli.setErr(both);
        cli.setOut(both);
        long t0 = System.nanoTime();
        int exit = cli.execute("migrate", "-c", file.toString());
        assertThat((System.nanoTime() - t0) / 1_000_000).as("fails fast (ms)").isLessThan(20_000);
        return new Result(exit, err.toString());
    }

    @Test
    void unknownKeyExitsWithTheKeyNamed() throws Exception {
        Result r = migrate("""
                name: shop
                source: { host: 127.0.0.1, user: postgres }
                target: { host: 127.0.0.1, user: postgres }
                databases: [ { source: shop } ]
                tabels: { include: ["public.*"] }
                """);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("'tabels'").contains("did you mean 'tables'");
    }

    @Test
    void unreachableSourceExitsWithTheHostNamed() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Result r = migrate("""
                name: shop
                source: { host: 127.0.0.1, port: %d, user: postgres, password: "hunter2-secret" }
                target: { host: 127.0.0.1, port: %d, user: postgres }
                databases: [ { source: shop } ]
                workDir: "%s"
                """.formatted(closedPort, closedPort, dir.resolve("work")));
        assertThat(r.exit()).as("refused by the prerequisite checks").isEqualTo(3);
        assertThat(r.err()).containsPattern("FAIL +source\\.connection").contains("source PostgreSQL server at 127.0.0.1:" + closedPort)
                .contains("source.host").contains("not starting").doesNotContain("hunter2-secret");
        assertThat(dir.resolve("work/kafka")).as("nothing started before the check").doesNotExist();
    }
}
