package io.pgshift.source;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the topics pgshift writes to, before anything writes or subscribes (auto-creation is never relied on). */
public final class Topics {

    private static final Logger LOG = LoggerFactory.getLogger(Topics.class);

    private Topics() {
    }

    /**
     * The largest record pgshift writes: its topics' {@code max.message.bytes} and its producers' {@code max.request.size}. A row
     * travels in one record, and a cluster's default (1 MB) would refuse the change of a row with a large TOASTed value.
     */
    static final int MAX_RECORD_BYTES = 64 << 20;
    /** The most a record's key and value may hold together, leaving room for its headers and Kafka's framing. */
    static final int MAX_PAYLOAD_BYTES = MAX_RECORD_BYTES - (64 << 10);

    /** Creates each missing topic with infinite retention (the topics are the migration's buffer, not a cache). */
    public static void ensure(Admin admin, Collection<String> topics, int partitions, short replicationFactor)
            throws InterruptedException, ExecutionException, TimeoutException {
        ensure(admin, topics, partitions, replicationFactor, Map.of("retention.ms", "-1", "retention.bytes", "-1", "cleanup.policy", "delete",
                "max.message.bytes", Integer.toString(MAX_RECORD_BYTES)));
    }

    /** Creates each missing topic with these topic configs. */
    public static void ensure(Admin admin, Collection<String> topics, int partitions, short replicationFactor, Map<String, String> configs)
            throws InterruptedException, ExecutionException, TimeoutException {
        Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        List<NewTopic> missing = new ArrayList<>();
        for (String topic : topics) {
            if (!existing.contains(topic)) {
                missing.add(new NewTopic(topic, partitions, replicationFactor).configs(configs));
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        try {
            admin.createTopics(missing).all().get(60, TimeUnit.SECONDS);
            LOG.info("Created {} topics with {} partitions each", missing.size(), partitions);
        }
        catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }
}
