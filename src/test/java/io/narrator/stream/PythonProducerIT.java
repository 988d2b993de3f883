package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's Python producer ({@code docs/examples/produce_frames.py}, Debian's python3-confluent-kafka under
 * {@code /usr/bin/python3}) against the embedded broker: with librdkafka's murmur2 partitioner its frames are
 * narrated; with librdkafka's default (CRC32) they land on another partition than their key's and are dead letters.
 */
class PythonProducerIT {
    private static final Path SCRIPT = Path.of("docs", "examples", "produce_frames.py");
    private static final String PYTHON = "/usr/bin/python3";
    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedKafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    private static String run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("%s:%n%s", command, out).isZero();
        return out;
    }

    private static List<String> produce(String topic, String stream, String partitioner, List<Path> jpegs) {
        List<String> command = new ArrayList<>(List.of(PYTHON, SCRIPT.toString(), "--bootstrap", broker.bootstrapServers(), "--topic", topic,
                "--stream", stream, "--start-micros", "1700000000000000", "--partitioner", partitioner));
        jpegs.forEach(p -> command.add(p.toString()));
        return command;
    }

    @Test
    void framesFromPythonArePartitionedByMurmur2AndNarrated() throws Exception {
        assertThat(run(List.of(PYTHON, "-c", "import confluent_kafka; print('confluent_kafka', confluent_kafka.version())")))
                .as("Debian's python3-confluent-kafka is installed (.ci/run installs it)").startsWith("confluent_kafka");
        NarratorConfig config = KafkaTestSupport.config(broker.bootstrapServers(), EndToEnd.unique("python"), Map.of());
        Topics topics = Topics.from(config);
        int partitions = config.topicPartitions();
        // a stream whose partition under CRC32 (librdkafka's default) is not its partition under murmur2
        String misplaced = java.util.stream.Stream.of("door", "gate", "yard", "hall", "lobby")
                .filter(k -> crc32Partition(k, partitions) != BuiltInPartitioner.partitionForKey(k.getBytes(StandardCharsets.UTF_8), partitions))
                .findFirst().orElseThrow();
        Path dir = Files.createTempDirectory(Path.of("target"), "python-frames");
        List<Path> jpegs = new ArrayList<>();
        for (String colour : List.of("red", "green", "blue", "yellow")) {
            Path jpeg = dir.resolve(colour + ".jpg");
            Files.write(jpeg, TestMedia.jpeg(colour));
            jpegs.add(jpeg);
        }
        try (NarratorApp app = NarratorApp.create(config, new FakeNarration())) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            assertThat(run(produce(topics.frames().name(), "py-cam", "murmur2_random", jpegs)))
                    .contains("published 4 frames of stream py-cam to " + topics.frames().name());
            run(produce(topics.frames().name(), misplaced, "consistent_random", jpegs));

            List<Caption> captions = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, got -> got.size() >= 3);
            assertThat(captions).extracting(Caption::getStreamId).containsOnly("py-cam");
            assertThat(captions).extracting(Caption::getText).containsExactly("frames=red", "frames=red,green", "frames=green,blue");
            List<DeadLetter> letters = KafkaTestSupport.readDeadLetters(broker.bootstrapServers(), topics, got -> got.size() >= 4);
            assertThat(letters).extracting(DeadLetter::getReason).containsOnly("WRONG_PARTITION").hasSize(4);
            assertThat(letters).extracting(DeadLetter::getKey).containsOnly(misplaced);
            assertThat(letters.get(0).getMessage()).contains("belongs to partition "
                    + BuiltInPartitioner.partitionForKey(misplaced.getBytes(StandardCharsets.UTF_8), partitions) + " of " + partitions);
        } finally {
            org.apache.kafka.common.utils.Utils.delete(dir.toFile());
        }
    }

    /** The partition librdkafka's default partitioner (consistent_random) gives a key: CRC32 of its bytes, modulo the count. */
    private static int crc32Partition(String key, int partitions) {
        CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % partitions);
    }

}
