package io.narrator.stream;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates Narrator's topics when missing (inputs with short retention, prompts and alert rules compacted, outputs
 * kept longer) and checks existing ones: frames and segments must have {@code topic.partitions} partitions
 * (one stream's frames and segments meet in one task, and each record's partition is checked against its key's)
 * and the prompt and alert-rule topics must be compacted.
 */
public final class TopicAdmin {
    private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);
    private static final long TIMEOUT_SECONDS = 60;

    private TopicAdmin() {}

    /** The topics Narrator would create for this configuration. */
    public static List<NewTopic> plan(NarratorConfig config) {
        Topics.Names n = config.topics();
        Optional<Integer> partitions = Optional.of(config.topicPartitions());
        Optional<Short> replication = config.topicReplicationFactor() == -1 ? Optional.empty() : Optional.of(config.topicReplicationFactor());
        String inputMaxBytes = String.valueOf(Math.max(1 << 20, config.maxRecordBytes() + (64 << 10)));
        Map<String, String> input = Map.of(
                TopicConfig.RETENTION_MS_CONFIG, String.valueOf(config.inputRetentionMs()),
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, inputMaxBytes);
        Map<String, String> compacted = Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, inputMaxBytes);
        Map<String, String> output = Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(config.outputRetentionMs()));
        return List.of(
                new NewTopic(n.frames(), partitions, replication).configs(input),
                new NewTopic(n.segments(), partitions, replication).configs(input),
                new NewTopic(n.prompts(), partitions, replication).configs(compacted),
                new NewTopic(n.promptTable(), Optional.of(1), replication).configs(compacted),
                new NewTopic(n.alertRules(), partitions, replication).configs(compacted),
                new NewTopic(n.alertRuleTable(), Optional.of(1), replication).configs(compacted),
                new NewTopic(n.captions(), partitions, replication).configs(output),
                new NewTopic(n.deadLetters(), partitions, replication).configs(output),
                new NewTopic(n.alerts(), partitions, replication).configs(output));
    }

    /**
     * Creates the missing topics and checks the existing ones.
     *
     * @return the names of the topics created
     * @throws IllegalStateException naming the topic and the problem when an existing topic is unusable
     */
    public static List<String> ensureTopics(Admin admin, NarratorConfig config) {
        try {
            Set<String> existing = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            List<NewTopic> missing = plan(config).stream().filter(t -> !existing.contains(t.name())).toList();
            List<String> created = new ArrayList<>();
            for (NewTopic topic : missing) {
                try {
                    admin.createTopics(List.of(topic)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    created.add(topic.name());
                    LOG.info("created topic {} ({} partitions, {})", topic.name(), topic.numPartitions(), topic.configs());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) throw e; // another instance was faster
                }
            }
            checkWhenVisible(admin, config);
            return created;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create or check Narrator's topics: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka did not answer within " + TIMEOUT_SECONDS + " s while creating topics; is bootstrap.servers right?", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }

    /** New topics take a moment to show up in metadata: retries the check while they are unknown. */
    private static void checkWhenVisible(Admin admin, NarratorConfig config) throws ExecutionException, InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (true) {
            try {
                check(admin, config);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) throw e;
                Thread.sleep(100);
            }
        }
    }

    private static void check(Admin admin, NarratorConfig config) throws ExecutionException, InterruptedException, TimeoutException {
        Topics.Names n = config.topics();
        Map<String, TopicDescription> described = admin.describeTopics(List.of(n.frames(), n.segments(), n.prompts(), n.promptTable()))
                .allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        int frames = described.get(n.frames()).partitions().size();
        int segments = described.get(n.segments()).partitions().size();
        if (frames != segments)
            throw new IllegalStateException("topics " + n.frames() + " (" + frames + " partitions) and " + n.segments() + " (" + segments
                    + " partitions) must have the same number of partitions: a stream's frames and segments are processed together");
        if (frames != config.topicPartitions())
            throw new IllegalStateException("topics " + n.frames() + " and " + n.segments() + " have " + frames + " partitions but "
                    + ConfigKey.TOPIC_PARTITIONS.key() + "=" + config.topicPartitions() + ": set " + ConfigKey.TOPIC_PARTITIONS.key() + "=" + frames
                    + " (each record's partition is checked against its key's)");
        Map<ConfigResource, String> resources = new HashMap<>();
        for (String topic : List.of(n.prompts(), n.promptTable(), n.alertRules(), n.alertRuleTable())) resources.put(new ConfigResource(ConfigResource.Type.TOPIC, topic), topic);
        Map<ConfigResource, Config> configs = admin.describeConfigs(resources.keySet()).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        for (Map.Entry<ConfigResource, Config> e : configs.entrySet()) {
            var policy = e.getValue().get(TopicConfig.CLEANUP_POLICY_CONFIG);
            if (policy == null || !policy.value().contains(TopicConfig.CLEANUP_POLICY_COMPACT))
                throw new IllegalStateException("topic " + resources.get(e.getKey()) + " must be compacted (cleanup.policy=compact), it has "
                        + (policy == null ? "no cleanup.policy" : "cleanup.policy=" + policy.value()) + ": old prompts and alert rules would be deleted");
        }
    }
}
