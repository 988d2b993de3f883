package io.narrator.cli;

import io.narrator.stream.NarratorConfig;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The CLI's Kafka consumers: committed records only ({@code read_committed}, as captions are published in
 * transactions), no consumer group (nothing is committed), every partition of one topic, never creating it.
 */
final class Consumers {
    private Consumers() {}

    /** A consumer of the configured cluster, assigned every partition of {@code topic}, positioned at its beginning or end. */
    static KafkaConsumer<String, byte[]> of(NarratorConfig config, String topic, boolean fromBeginning, Duration timeout) {
        Properties p = config.clientProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, timeout).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            if (partitions.isEmpty()) throw new IllegalStateException("Kafka has no topic " + topic);
            consumer.assign(partitions);
            if (fromBeginning) consumer.seekToBeginning(partitions);
            else consumer.seekToEnd(partitions);
            return consumer;
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
    }
}
