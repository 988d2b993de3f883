package io.narrator.cli;

import io.narrator.stream.NarratorConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/** Reads a topic from its beginning to its current end (committed records only), for commands that look something up. */
final class TopicSnapshot {
    private TopicSnapshot() {}

    /** Every record of {@code topic} now in Kafka, partition by partition, in offset order. */
    static List<ConsumerRecord<String, byte[]>> read(NarratorConfig config, String topic, Duration timeout) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = Consumers.of(config, topic, true, timeout)) {
            List<TopicPartition> partitions = List.copyOf(consumer.assignment());
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp, timeout) < end.get(tp))) {
                if (System.nanoTime() > deadline)
                    throw new IllegalStateException("could not read topic " + topic + " to its end within " + timeout.toSeconds() + " s");
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
