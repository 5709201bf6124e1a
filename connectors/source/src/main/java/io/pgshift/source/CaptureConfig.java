package io.pgshift.source;

import java.util.Map;
import java.util.Objects;

import io.pgshift.core.MigrationNames;
import io.pgshift.core.PgEndpoint;
import io.pgshift.core.TableSelection;

/**
 * What one capture needs: the source database, the tables, and where Kafka is.
 *
 * @param names              names derived from the migration's name
 * @param source             the source server
 * @param database           the source database this capture reads
 * @param selection          which tables
 * @param bootstrapServers   Kafka
 * @param kafkaProperties    extra client properties for every Kafka client (security settings, ...)
 * @param partitionsPerTable partitions of each table topic (records are keyed by primary key)
 * @param replicationFactor  replication factor of the topics pgshift creates
 * @param debeziumOverrides  extra Debezium connector properties ({@code debezium.*} in the configuration)
 * @param fenceIntervalMs    how often a heartbeat row is written to {@code pgshift.fence}; 0 for never
 * @param initialLoad        whether a new capture first loads a consistent snapshot of the tables' rows; without it only
 *                           changes committed after the slot was created are captured
 * @param load               how the initial load runs
 * @param streaming          whether the capture streams changes; without it a new or resumed bulk load never starts Debezium, so the
 *                           slot stays at the load's consistent point (a Debezium snapshot needs the engine, and streams anyway)
 * @param debeziumTopics     whether the table topics carry Debezium's default names ({@link MigrationNames#debeziumTopic}), for a
 *                           Debezium connector on Kafka Connect that writes them; else pgshift's own ({@link MigrationNames#tableTopic})
 * @param captureDdl         whether schema changes are captured (pgshift's event triggers writing to pgshift.ddl, which joins the
 *                           publication) and carried to the target at their place in the stream, where the role may install them
 */
public record CaptureConfig(MigrationNames names, PgEndpoint source, String database, TableSelection selection, String bootstrapServers,
                            Map<String, String> kafkaProperties, int partitionsPerTable, short replicationFactor,
                            Map<String, String> debeziumOverrides, long fenceIntervalMs, boolean initialLoad, LoadOptions load,
                            boolean streaming, boolean debeziumTopics, boolean captureDdl) {

    public CaptureConfig(MigrationNames names, PgEndpoint source, String database, TableSelection selection, String bootstrapServers,
                         Map<String, String> kafkaProperties, int partitionsPerTable, short replicationFactor,
                         Map<String, String> debeziumOverrides, long fenceIntervalMs, boolean initialLoad, LoadOptions load, boolean streaming) {
        this(names, source, database, selection, bootstrapServers, kafkaProperties, partitionsPerTable, replicationFactor, debeziumOverrides,
                fenceIntervalMs, initialLoad, load, streaming, false, false);
    }

    /** The topic of one selected table. */
    public String tableTopic(io.pgshift.core.TableId table) {
        return debeziumTopics ? names.debeziumTopic(database, table) : names.tableTopic(database, table);
    }

    public CaptureConfig {
        Objects.requireNonNull(names, "names");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(selection, "selection");
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        kafkaProperties = Map.copyOf(kafkaProperties == null ? Map.of() : kafkaProperties);
        debeziumOverrides = Map.copyOf(debeziumOverrides == null ? Map.of() : debeziumOverrides);
        load = load == null ? LoadOptions.defaults() : load;
    }

    /** Whether a new capture loads the tables with pgshift's bulk copy (else with Debezium's snapshot, or not at all). */
    public boolean bulkLoad() {
        return initialLoad && load.method() == LoadOptions.Method.COPY;
    }

    /** Whether the Debezium engine runs: always, except for a bulk load that does not stream. */
    public boolean runsEngine() {
        return streaming || !bulkLoad();
    }
}
