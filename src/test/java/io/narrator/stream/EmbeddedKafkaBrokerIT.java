package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerIT {

    @Test
    void keepsDataInAGivenDirectoryAcrossRestartsAndReallyStopsOnClose(@TempDir Path dir) throws Exception {
        int port;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(dir).start()) {
            port = broker.port();
            try (Admin admin = admin(broker)) {
                admin.createTopics(List.of(new NewTopic("kept", Optional.of(1), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
            }
            try (var producer = KafkaTestSupport.producer(broker.bootstrapServers())) {
                producer.send(new ProducerRecord<>("kept", "k", new byte[] {42})).get(30, TimeUnit.SECONDS);
            }
        }
        assertThat(canConnect(port)).isFalse();
        assertThat(dir).isNotEmptyDirectory();

        try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.builder().dataDir(dir).port(port).start()) {
            assertThat(again.bootstrapServers()).isEqualTo("localhost:" + port);
            Properties p = new Properties();
            p.put("bootstrap.servers", again.bootstrapServers());
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
                TopicPartition tp = new TopicPartition("kept", 0);
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                ConsumerRecords<String, byte[]> records = ConsumerRecords.empty();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (records.isEmpty()) {
                    if (System.nanoTime() > deadline) throw new AssertionError("the record written before the restart was not read back within 60 s");
                    records = consumer.poll(Duration.ofMillis(200));
                }
                assertThat(records.iterator().next().value()).containsExactly(42);
            }
        }
    }

    @Test
    void deletesATemporaryDirectoryOnClose() {
        Path data;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            data = broker.dataDir();
            assertThat(data).isDirectory();
        }
        assertThat(Files.exists(data)).isFalse();
    }

    @Test
    void topicAdminCreatesMissingTopicsAndChecksExistingOnes() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(); Admin admin = admin(broker)) {
            NarratorConfig config = NarratorConfig.of(Map.of("bootstrap.servers", broker.bootstrapServers(), "topic.prefix", "t1."));
            assertThat(TopicAdmin.ensureTopics(admin, config)).containsExactlyInAnyOrderElementsOf(Topics.from(config).names());
            assertThat(TopicAdmin.ensureTopics(admin, config)).isEmpty();
            var frames = admin.describeTopics(List.of("t1.frames")).allTopicNames().get(30, TimeUnit.SECONDS).get("t1.frames");
            assertThat(frames.partitions()).hasSize(6);

            NarratorConfig uneven = NarratorConfig.of(Map.of("bootstrap.servers", broker.bootstrapServers(), "topic.prefix", "t2."));
            admin.createTopics(List.of(new NewTopic("t2.segments", Optional.of(2), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
            assertThatThrownBy(() -> TopicAdmin.ensureTopics(admin, uneven))
                    .hasMessageContaining("t2.frames (6 partitions) and t2.segments (2 partitions) must have the same number of partitions");

            NarratorConfig deleting = NarratorConfig.of(Map.of("bootstrap.servers", broker.bootstrapServers(), "topic.prefix", "t3."));
            admin.createTopics(List.of(new NewTopic("t3.prompts", Optional.of(6), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
            assertThatThrownBy(() -> TopicAdmin.ensureTopics(admin, deleting))
                    .hasMessageContaining("topic t3.prompts must be compacted (cleanup.policy=compact), it has cleanup.policy=delete");
        }
    }

    private static Admin admin(EmbeddedKafkaBroker broker) {
        Properties p = new Properties();
        p.put("bootstrap.servers", broker.bootstrapServers());
        return Admin.create(p);
    }

    private static boolean canConnect(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("localhost", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
