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

    /**
     * Connect's checks of every key, then, when the keys are valid, a connection to the target (and the source, when given) from this
     * worker: a refusal is put at the key that is wrong (SQLSTATE 28P01/28000 at the password, 3D000 at the database, no server at the
     * host name), so that {@code PUT /connector-plugins/.../config/validate} names it before the connector is created.
     */
    @Override
    public org.apache.kafka.common.config.Config validate(Map<String, String> props) {
        org.apache.kafka.common.config.Config result = super.validate(props);
        Map<String, org.apache.kafka.common.config.ConfigValue> values = new java.util.HashMap<>();
        result.configValues().forEach(v -> values.put(v.name(), v));
        if (result.configValues().stream().anyMatch(v -> !v.errorMessages().isEmpty())) {
            return result;
        }
        PgApplierSinkConfig config;
        try {
            config = new PgApplierSinkConfig(props);
        }
        catch (org.apache.kafka.common.config.ConfigException e) {
            return result;
        }
        tryConnect("target", config.target(), config.targetDatabase(), values);
        if (config.source() != null) {
            tryConnect("source", config.source(), config.sourceDatabase(), values);
        }
        return result;
    }

    private static void tryConnect(String role, io.pgshift.core.PgEndpoint endpoint, String database,
                                   Map<String, org.apache.kafka.common.config.ConfigValue> values) {
        try (java.sql.Connection c = endpoint.connect(database, "pgshift-sink-validate")) {
            c.isValid(5);
        }
        catch (java.sql.SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            String key = state.equals("28P01") || state.equals("28000") ? role + ".password"
                    : state.equals("3D000") ? role + ".database" : role + ".hostname";
            org.apache.kafka.common.config.ConfigValue v = values.get(key);
            if (v != null) {
                v.addErrorMessage("cannot connect to the " + role + " database '" + database + "' as " + endpoint.user() + " from this worker: "
                        + e.getMessage() + (state.isEmpty() ? "" : " (SQLSTATE " + state + ")"));
            }
        }
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
