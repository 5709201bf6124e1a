package io.pgshift.app;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.pipeline.Pipeline;
import io.pgshift.app.pipeline.ProgressReporter;

/** {@code pgshift migrate}: copies the schema, then captures and applies until stopped. Running it again resumes. */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Copy the schema, load a consistent snapshot and stream every change to the target until stopped (Ctrl-C)."
                + " Running it again resumes where it stopped.")
final class MigrateCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(MigrateCommand.class);

    @Option(names = { "-c", "--config" }, required = true, description = "The migration's YAML file.")
    Path config;

    @Override
    public Integer call() throws Exception {
        MigrationConfig cfg = MigrationConfigLoader.load(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Pipeline pipeline = Pipeline.start(cfg);
        Thread hook = new Thread(() -> {
            LOG.info("Stopping: the capture and the appliers finish their current batch");
            pipeline.close();
            stopped.countDown();
        }, "pgshift-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try (ProgressReporter progress = ProgressReporter.start(pipeline, java.time.Duration.ofSeconds(10))) {
            while (!stopped.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
                if (pipeline.failure().isPresent()) {
                    Throwable f = pipeline.failure().get();
                    LOG.error("The migration stopped: {}", f.getMessage());
                    Runtime.getRuntime().removeShutdownHook(hook);
                    pipeline.close();
                    return 1;
                }
            }
        }
        return 0;
    }
}
