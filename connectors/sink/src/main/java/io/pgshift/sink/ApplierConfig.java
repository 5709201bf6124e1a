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
 */
public record ApplierConfig(PgEndpoint target, String database, List<String> topics, String groupId, String bootstrapServers,
                            Map<String, String> kafkaProperties, int maxPollRecords) {

    public ApplierConfig {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(database, "database");
        topics = List.copyOf(topics);
        kafkaProperties = Map.copyOf(kafkaProperties == null ? Map.of() : kafkaProperties);
    }
}
