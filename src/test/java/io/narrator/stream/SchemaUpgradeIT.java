package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An upgrade over state written by the previous release, on the embedded broker: the changelogs of the pending-clip
 * and frame stores hold values written with the first {@code PendingClip} and {@code StoredFrame} schemas (frames as
 * features only); the narrator restores them, narrates the pending clip, and uses the old frame in a new window.
 */
class SchemaUpgradeIT {
    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedKafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    /** Features as the fake narration makes them: the mean colour and the size. */
    private static byte[] features(String colour) {
        int rgb = FakeNarration.rgb(colour);
        return ByteBuffer.allocate(11).put((byte) (rgb >> 16)).put((byte) (rgb >> 8)).put((byte) rgb).putInt(TestMedia.W).putInt(TestMedia.H).array();
    }

    @Test
    void stateWrittenWithThePreviousSchemasIsRestoredAndUsed() throws Exception {
        NarratorConfig config = KafkaTestSupport.config(broker.bootstrapServers(), EndToEnd.unique("upgrade"), Map.of("window.phase", "aligned"));
        Topics topics = Topics.from(config);
        int partition = BuiltInPartitioner.partitionForKey("cam".getBytes(StandardCharsets.UTF_8), config.topicPartitions());
        String pendingChangelog = config.applicationId() + "-" + NarratorStores.PENDING + "-changelog";
        String framesChangelog = config.applicationId() + "-" + NarratorStores.FRAMES + "-changelog";
        try (Admin admin = Admin.create(config.clientProperties())) {
            Map<String, String> compacted = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
            admin.createTopics(List.of(
                    new NewTopic(pendingChangelog, Optional.of(config.topicPartitions()), Optional.empty()).configs(compacted),
                    new NewTopic(framesChangelog, Optional.of(config.topicPartitions()), Optional.empty()).configs(compacted))).all().get();
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            // what the previous release left: clip 0 of "cam" pending (red, green), and a kept frame at 3 s (blue)
            producer.send(new ProducerRecord<>(pendingChangelog, partition, StateKeys.of("cam", 0).get(),
                    SchemaHistoryTest.pendingClipV1("cam", 0, 0, 2_000_000, List.of(features("red"), features("green")), System.currentTimeMillis()))).get();
            producer.send(new ProducerRecord<>(framesChangelog, partition, StateKeys.of("cam", 3_000_000).get(),
                    SchemaHistoryTest.storedFrameV1(3_000_000, features("blue")))).get();
        }
        try (NarratorApp app = NarratorApp.create(config, new FakeNarration())) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            List<Caption> restored = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, got -> got.size() >= 1);
            assertThat(restored).extracting(Caption::getText).containsExactly("frames=red,green");
            assertThat(restored.get(0).getFrameSequences()).containsExactly(7L, 7L);
            try (KafkaProducer<String, byte[]> producer = KafkaTestSupport.producer(broker.bootstrapServers())) {
                KafkaTestSupport.send(producer, topics, TestMedia.frame("cam", 1, 4.0, "yellow"));
                KafkaTestSupport.send(producer, topics, TestMedia.frame("cam", 2, 5.0, "white"));
            }
            List<Caption> captions = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, got -> got.size() >= 2);
            assertThat(captions).extracting(Caption::getText).containsExactly("frames=red,green", "frames=blue,yellow");
        }
    }
}
