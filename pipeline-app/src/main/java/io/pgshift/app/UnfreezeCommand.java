package io.pgshift.app;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.coordinator.SourceFreeze;

/** {@code pgshift unfreeze}: makes the source databases writable again after {@code cutover --freeze-source}. */
@Command(name = "unfreeze", mixinStandardHelpOptions = true,
        description = "Make the source databases writable again (undo 'cutover --freeze-source'): resets default_transaction_read_only.")
final class UnfreezeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = { "-c", "--config" }, required = true, description = "The migration's YAML file.")
    Path config;

    @Override
    public Integer call() throws Exception {
        MigrationConfig cfg = MigrationConfigLoader.load(config);
        List<String> dbs = cfg.databases().stream().map(MigrationConfig.DatabaseMapping::source).toList();
        SourceFreeze.unfreeze(cfg.source(), dbs);
        spec.commandLine().getOut().println("Source databases " + dbs + " are writable again for new sessions (sessions opened while frozen"
                + " stay read-only until they reconnect).");
        return 0;
    }
}
