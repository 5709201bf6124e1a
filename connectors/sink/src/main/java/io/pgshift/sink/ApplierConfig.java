package io.pgshift.sink;

import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.pgshift.core.PgEndpoint;

/**
 * What one applier (one target database) needs.
 *
 * @param target          the target server
 * @param database        the target database
 * @param topics          the table topics to apply, subscribed explicitly
 * @param groupId         the consumer group (standard Kafka tools show its lag)
 * @param bootstrapServers Kafka
 * @param kafkaProperties extra client properties (security settings, ...)
 * @param maxPollRecords  records per poll, and so at most per target transaction
 * @param source          the source server, to read values the change stream does not carry exactly (may be null)
 * @param sourceDatabase  the source database
 * @param workers         appliers running in parallel, each with its own consumer and target connection;
 *                        Kafka spreads the topic partitions over them, each partition applied in order by one
 */
public record ApplierConfig(PgEndpoint target, String database, List<String> topics, String groupId, String bootstrapServers,
                            Map<String, String> kafkaProperties, int maxPollRecords, PgEndpoint source, String sourceDatabase, int workers) {

    public ApplierConfig {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(database, "database");
        topics = List.copyOf(topics);
        kafkaProperties = Map.copyOf(kafkaProperties == null ? Map.of() : kafkaProperties);
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1, was " + workers);
        }
    }
}
