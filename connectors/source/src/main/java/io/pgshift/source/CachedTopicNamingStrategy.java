package io.pgshift.source;

import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

import io.debezium.schema.DefaultTopicNamingStrategy;
import io.debezium.spi.schema.DataCollectionId;

/**
 * Debezium's default topic names ({@code <topic.prefix>.<schema>.<table>}, sanitized), looked up in a plain map. Debezium asks for a
 * record's topic once per change event; its default strategy first builds the name's string and then looks it up in an LRU cache
 * ({@code BoundedConcurrentHashMap}, whose bookkeeping walks a queue), which cost a few percent of the decoding thread
 * ({@code bench/README.md}). pgshift writes its own table topics ({@link KafkaPublisher}) and only needs the name to be stable, and the
 * captured tables are the selection, so the map is bounded by it. Set as {@code topic.naming.strategy} (a documented Debezium option).
 */
public final class CachedTopicNamingStrategy extends DefaultTopicNamingStrategy {

    private final ConcurrentHashMap<DataCollectionId, String> topics = new ConcurrentHashMap<>();

    public CachedTopicNamingStrategy(Properties props) {
        super(props);
    }

    @Override
    public String dataChangeTopic(DataCollectionId id) {
        String topic = topics.get(id);
        if (topic == null) {
            topic = super.dataChangeTopic(id);
            topics.put(id, topic);
        }
        return topic;
    }
}
