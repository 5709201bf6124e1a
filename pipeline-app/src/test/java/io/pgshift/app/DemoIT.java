package io.pgshift.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The README's main command as a user runs it: the packaged jar (with its lib folder, not the test class path), {@code demo}: a real
 * migration under writes that ends with a cutover, COMPLETED, and target == source.
 */
class DemoIT {

    @Test
    void thePackagedDemoMigratesAndCutsOver() throws Exception {
        Path jar = Path.of("target", "pgshift.jar").toAbsolutePath();
        assertThat(jar).as("the packaged application (mvn package runs before the integration tests)").exists();
        Path work = Files.createTempDirectory("pgshift-demo-it");
        Path log = work.resolve("demo.err");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try {
            run(java, jar, work, log);
        }
        finally {
            io.pgshift.testkit.EmbeddedPostgres.deleteTree(work.resolve("demo"));
        }
    }

    private static void run(String java, Path jar, Path work, Path log) throws Exception {
        Process p = new ProcessBuilder(java, "-Xmx1g", "-jar", jar.toString(), "demo", "--work-dir", work.resolve("demo").toString(), "--stream-seconds", "5")
                .redirectError(log.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("demo finished").isTrue();
        assertThat(p.exitValue()).as("demo exit code; output:\n%s\nstderr in %s", out, log).isZero();
        assertThat(out).contains("Full load done", "Cutover COMPLETED", "downtime (source frozen -> completed)", "equal (", "validated online",
                "RESULT: target == source for all 4 tables", "The application now writes to the target");
    }
}
