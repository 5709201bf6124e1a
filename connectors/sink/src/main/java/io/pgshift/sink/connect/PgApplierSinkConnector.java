package io.pgshift.sink.connect;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * pgshift's applier as a Kafka Connect sink: applies the Debezium PostgreSQL connector's change records to
 * a target PostgreSQL database, exactly once in effect (each batch and its watermark in one target
 * transaction; offsets resume from the target's watermark).
 */
public final class PgApplierSinkConnector extends SinkConnector {

    private Map<String, String> settings;

    @Override
    public void start(Map<String, String> props) {
        new PgApplierSinkConfig(props); // fails fast, naming the key
        this.settings = Map.copyOf(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return PgApplierSinkTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<Map<String, String>> configs = new ArrayList<>(maxTasks);
        for (int i = 0; i < maxTasks; i++) {
            configs.add(settings);
        }
        return configs;
    }

    @Override
    public void stop() {
        // nothing held: the tasks own their connections
    }

    @Override
    public ConfigDef config() {
        return PgApplierSinkConfig.CONFIG_DEF;
    }

    @Override
    public String version() {
        return Version.get();
    }
}
