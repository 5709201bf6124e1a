package io.pgshift.app;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import io.pgshift.app.config.MigrationConfig;
import io.pgshift.app.config.MigrationConfigLoader;
import io.pgshift.app.coordinator.MigrationKafka;
import io.pgshift.app.coordinator.SourceCleanup;

/** {@code pgshift cleanup}: drops the migration's replication slot, publication and fence table on the source. */
@Command(name = "cleanup", mixinStandardHelpOptions = true,
        description = "Drop what the migration left on the source: the replication slot (which keeps WAL until dropped), the publication and"
                + " pgshift's fence table. With --delete-topics also the migration's Kafka topics.")
final class CleanupCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = { "-c", "--config" }, required = true, description = "The migration's YAML file.")
    Path config;

    @Option(names = "--delete-topics", description = "Also delete the Kafka topics pgshift.<name>.* (change records, offsets, control, status).")
    boolean deleteTopics;

    @Override
    public Integer call() throws Exception {
        MigrationConfig cfg = MigrationConfigLoader.load(config);
        for (String line : SourceCleanup.run(cfg)) {
            spec.commandLine().getOut().println(line);
        }
        if (deleteTopics) {
            String prefix = "pgshift." + cfg.name() + ".";
            try (Admin admin = Admin.create(MigrationKafka.clientProperties(cfg, MigrationKafka.bootstrap(cfg), prefix + "cleanup"))) {
                List<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream().filter(t -> t.startsWith(prefix)).sorted().toList();
                admin.deleteTopics(topics).all().get(60, TimeUnit.SECONDS);
                spec.commandLine().getOut().println("Deleted " + topics.size() + " Kafka topics " + topics);
            }
        }
        return 0;
    }
}
