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
                + " pgshift's fence table; with connect.url first its connectors on Kafka Connect. With --delete-topics also the migration's"
                + " Kafka topics.")
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
        if (cfg.viaConnect()) {
            deleteConnectors(cfg);
        }
        for (String line : SourceCleanup.run(cfg)) {
            spec.commandLine().getOut().println(line);
        }
        if (deleteTopics) {
            String prefix = "pgshift." + cfg.name() + ".";
            try (Admin admin = Admin.create(MigrationKafka.clientProperties(cfg, MigrationKafka.bootstrap(cfg), prefix + "cleanup"))) {
                // With connect.url, Debezium's heartbeat topics too (__debezium-heartbeat.pgshift.<name>.<db>).
                String heartbeats = "__debezium-heartbeat." + prefix;
                List<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                        .filter(t -> t.startsWith(prefix) || cfg.viaConnect() && t.startsWith(heartbeats)).sorted().toList();
                admin.deleteTopics(topics).all().get(60, TimeUnit.SECONDS);
                spec.commandLine().getOut().println("Deleted " + topics.size() + " Kafka topics " + topics);
            }
        }
        return 0;
    }

    /**
     * On Kafka Connect: deletes the migration's connectors, then waits (up to a minute) until their tasks let go of the replication slots,
     * so that the slots can be dropped.
     */
    private void deleteConnectors(MigrationConfig cfg) throws Exception {
        io.pgshift.app.connect.ConnectClient client = new io.pgshift.app.connect.ConnectClient(cfg.connect());
        for (MigrationConfig.DatabaseMapping db : cfg.databases()) {
            String source = cfg.names().connectorName(db.source());
            for (String name : List.of(source + ".sink", source)) {
                if (client.delete(name)) {
                    spec.commandLine().getOut().println("Deleted connector " + name + " from Kafka Connect at " + client.url());
                }
            }
            io.pgshift.app.connect.ConnectStreaming.awaitSlotReleased(cfg, db, java.time.Duration.ofSeconds(60));
        }
    }
}
