package io.narrator.stream;

import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import io.narrator.avro.VideoFrame;
import io.narrator.avro.VideoSegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Producing to and reading from a real broker in the integration tests. */
final class KafkaTestSupport {
    private KafkaTestSupport() {}

    /** A configuration for tests on a real broker: short windows, fast commits, names unique to {@code name}. */
    static NarratorConfig config(String bootstrap, String name, Map<String, String> extra) {
        Map<String, String> p = new HashMap<>();
        p.put("bootstrap.servers", bootstrap);
        p.put("application.id", name);
        p.put("topic.prefix", name + ".");
        p.put("topic.partitions", "3");
        p.put("window.seconds", "2");
        p.put("hop.seconds", "1");
        p.put("idle.timeout.ms", "600000");
        p.put("commit.interval.ms", "100");
        p.put("num.stream.threads", "2");
        p.put("consumer.session.timeout.ms", "6000");
        p.put("consumer.heartbeat.interval.ms", "1000");
        try {
            Files.createDirectories(Path.of("target"));
            p.put("state.dir", Files.createTempDirectory(Path.of("target").toAbsolutePath(), "state-" + name).toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        p.putAll(extra);
        return NarratorConfig.of(p);
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    static void send(KafkaProducer<String, byte[]> producer, Topics topics, VideoFrame frame) {
        producer.send(new ProducerRecord<>(topics.frames().name(), frame.getStreamId(), AvroSerde.of(VideoFrame.class).encode(frame)));
    }

    static void send(KafkaProducer<String, byte[]> producer, Topics topics, VideoSegment segment) {
        producer.send(new ProducerRecord<>(topics.segments().name(), segment.getStreamId(), AvroSerde.of(VideoSegment.class).encode(segment)));
    }

    /**
     * Reads captions as a {@code read_committed} consumer until {@code done} holds for all read so far (or fails after two
     * minutes), then on to the end of the topic as it is then, so that a duplicate already committed is among them.
     */
    static List<Caption> readCaptions(String bootstrap, Topics topics, Predicate<List<Caption>> done) {
        OutputSerde<Caption> serde = topics.captionSerde();
        return read(bootstrap, topics.captions().name(), r -> serde.decode(r.value()), done);
    }

    static List<DeadLetter> readDeadLetters(String bootstrap, Topics topics, Predicate<List<DeadLetter>> done) {
        OutputSerde<DeadLetter> serde = topics.deadLetterSerde();
        return read(bootstrap, topics.deadLetters().name(), r -> serde.decode(r.value()), done);
    }

    /** The raw values of {@code topic} from its beginning until {@code done} holds, then to its end. */
    static List<byte[]> readRaw(String bootstrap, String topic, Predicate<List<byte[]>> done) {
        return read(bootstrap, topic, ConsumerRecord::value, done);
    }

    /** Reads the alerts topic as a {@code read_committed} consumer until {@code done} holds, then to its end. */
    static List<io.narrator.avro.Alert> readAlerts(String bootstrap, Topics topics, Predicate<List<io.narrator.avro.Alert>> done) {
        return read(bootstrap, topics.alerts().name(), r -> topics.alertSerde().decode(r.value()), done);
    }

    /** Reads the frames topic from its beginning until {@code done} holds, then to its end. */
    static List<VideoFrame> readFrames(String bootstrap, Topics topics, Predicate<List<VideoFrame>> done) {
        AvroSerde<VideoFrame> serde = AvroSerde.of(VideoFrame.class);
        return read(bootstrap, topics.frames().name(), r -> serde.decode(r.value()), done);
    }

    private static <T> List<T> read(String bootstrap, String topic, java.util.function.Function<ConsumerRecord<String, byte[]>, T> decode,
            Predicate<List<T>> done) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<T> out = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<org.apache.kafka.common.TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (!done.test(out)) {
                if (System.nanoTime() > deadline) throw new AssertionError("gave up waiting on " + topic + "; read so far: " + out);
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) out.add(decode.apply(r));
            }
            Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey(), Duration.ofSeconds(30)) < e.getValue())) {
                if (System.nanoTime() > deadline) throw new AssertionError("could not read " + topic + " to its end " + end + "; read so far: " + out);
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) out.add(decode.apply(r));
            }
        }
        return out;
    }

    /** The partition of {@code key} under the Java client's default partitioner (murmur2 of the UTF-8 key), which Kafka Streams expects. */
    static int partitionOf(String key, int partitions) {
        return org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                % partitions;
    }
}
