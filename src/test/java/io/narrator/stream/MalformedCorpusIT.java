package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import io.narrator.avro.VideoFrame;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The malformed-record corpus ({@link MalformedRecords}: every class of bad record on frames, segments and prompts,
 * the campaign's 31-byte prompt bomb and the string and bytes bombs among them, plus a frame on the wrong partition)
 * sent to a narrator running in a JVM of its own with a 256 MB heap that exits on OutOfMemoryError, while a healthy
 * stream runs in real time: every bad record is one dead letter with its reason, the narrator stays up, and every
 * window of the healthy stream is captioned once, on time.
 */
class MalformedCorpusIT {
    /** Most wall-clock time from a healthy window's end (its event time is the wall clock) to its caption. */
    private static final long ON_TIME_MS = 5_000;
    private static final String[] COLOURS = {"red", "green", "blue", "yellow", "white", "magenta", "cyan", "black"};
    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedKafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    /** Where a record landed. */
    private record Origin(String topic, int partition, long offset) {}

    @Test
    void everyMalformedRecordIsADeadLetterAndAHealthyStreamIsCaptionedOnTimeInA256MbHeap() throws Exception {
        NarratorConfig config = KafkaTestSupport.config(broker.bootstrapServers(), EndToEnd.unique("corpus"), Map.of());
        Topics topics = Topics.from(config);
        File log = new File("target", "narrator-corpus-" + config.applicationId() + ".log");
        Process narrator = start(config, log);
        AtomicBoolean healthyRuns = new AtomicBoolean(true);
        long t0 = (System.currentTimeMillis() / 1000 + 1) * 1_000_000; // event time of both streams: the wall clock
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            Thread healthy = new Thread(() -> healthyStream(producer, topics, t0, healthyRuns), "healthy-stream");
            healthy.start();
            AvroSerde<VideoFrame> frames = AvroSerde.of(VideoFrame.class);
            byte[] cam = "cam".getBytes(StandardCharsets.UTF_8);
            producer.send(new ProducerRecord<>(topics.frames().name(), cam, frames.encode(TestMedia.frame("cam", 0, t0 / 1e6, "red")))).get();

            Map<Origin, MalformedRecords.Bad> sent = new HashMap<>();
            List<MalformedRecords.Bad> corpus = new ArrayList<>(MalformedRecords.corpus("cam", t0));
            int wrong = (BuiltInPartitioner.partitionForKey(cam, config.topicPartitions()) + 1) % config.topicPartitions();
            corpus.add(new MalformedRecords.Bad("a frame on another partition than its key's", MalformedRecords.Input.FRAMES, cam,
                    frames.encode(MalformedRecords.jpeg("cam", t0 + 1_000_000, TestMedia.jpeg("white"))), DeadLetterReason.WRONG_PARTITION,
                    "but the record is on partition " + wrong));
            for (MalformedRecords.Bad bad : corpus) {
                String topic = switch (bad.input()) {
                    case FRAMES -> topics.frames().name();
                    case SEGMENTS -> topics.segments().name();
                    case PROMPTS -> topics.prompts().name();
                };
                Integer partition = bad.reason() == DeadLetterReason.WRONG_PARTITION ? wrong : null;
                RecordMetadata at = producer.send(new ProducerRecord<>(topic, partition, bad.key(), bad.value())).get();
                sent.put(new Origin(at.topic(), at.partition(), at.offset()), bad);
            }
            producer.send(new ProducerRecord<>(topics.frames().name(), cam, frames.encode(TestMedia.frame("cam", 1, t0 / 1e6 + 1, "green")))).get();
            producer.send(new ProducerRecord<>(topics.frames().name(), cam, frames.encode(TestMedia.frame("cam", 2, t0 / 1e6 + 2, "blue")))).get();

            List<DeadLetter> letters = KafkaTestSupport.readDeadLetters(broker.bootstrapServers(), topics, got -> got.size() >= sent.size());
            assertThat(letters).hasSize(sent.size());
            for (DeadLetter letter : letters) {
                MalformedRecords.Bad bad = sent.get(new Origin(letter.getOriginTopic(), letter.getOriginPartition(), letter.getOriginOffset()));
                assertThat(bad).as("a dead letter of a record that was not sent as bad: %s", letter).isNotNull();
                assertThat(letter.getReason()).as("%s: %s", bad.name(), letter.getMessage()).isEqualTo(bad.reason().name());
                assertThat(letter.getMessage()).as(bad.name()).contains(bad.messagePart());
            }
            assertThat(letters).extracting(l -> new Origin(l.getOriginTopic(), l.getOriginPartition(), l.getOriginOffset()))
                    .containsExactlyInAnyOrderElementsOf(sent.keySet());

            // the healthy stream runs on for 3 s after the corpus, and at least 7 s in all (a quick corpus leaves few windows)
            long until = Math.max(System.currentTimeMillis() + 3_000, t0 / 1000 + 7_000);
            Thread.sleep(Math.max(0, until - System.currentTimeMillis()));
            healthyRuns.set(false);
            healthy.join();
            long lastSecond = (System.currentTimeMillis() * 1000 - t0) / 1_000_000 - 1; // whole seconds the healthy stream ran
            List<Caption> captions = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, got -> got.stream()
                    .anyMatch(c -> c.getStreamId().equals("healthy") && c.getWindowEndMicros() >= t0 + lastSecond * 1_000_000));
            assertThat(narrator.isAlive()).as("the narrator is alive; see %s", log).isTrue();

            assertThat(captions).filteredOn(c -> c.getStreamId().equals("cam")).extracting(Caption::getText)
                    .containsExactly("frames=red", "frames=red,green");
            List<Caption> own = captions.stream().filter(c -> c.getStreamId().equals("healthy")).toList();
            long windows = (own.get(own.size() - 1).getWindowEndMicros() - t0) / 1_000_000;
            assertThat(own).extracting(Caption::getWindowEndMicros).as("every window of the healthy stream once")
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, windows).mapToObj(s -> t0 + s * 1_000_000).toList());
            for (Caption c : own) {
                int end = (int) ((c.getWindowEndMicros() - t0) / 1_000_000);
                String expected = end == 1 ? "frames=" + COLOURS[0] : "frames=" + COLOURS[(end - 2) % COLOURS.length] + "," + COLOURS[(end - 1) % COLOURS.length];
                assertThat(c.getText()).as("window ending at second %d", end).isEqualTo(expected);
                assertThat(c.getError()).isNull();
                assertThat(c.getCreatedAtMillis() - c.getWindowEndMicros() / 1000).as("caption of the window ending at second %d, ms after it ended", end)
                        .isBetween(0L, ON_TIME_MS);
            }
            assertThat(windows).as("healthy windows captioned").isGreaterThanOrEqualTo(5);
        } finally {
            healthyRuns.set(false);
            narrator.destroyForcibly().waitFor();
        }
        String output = Files.readString(log.toPath());
        assertThat(output).doesNotContain("OutOfMemoryError").doesNotContain("stream thread failed");
    }

    /** A stream of 4 frames a second, its event time the wall clock, showing colour {@code COLOURS[second]} in each second. */
    private static void healthyStream(KafkaProducer<byte[], byte[]> producer, Topics topics, long t0, AtomicBoolean runs) {
        AvroSerde<VideoFrame> frames = AvroSerde.of(VideoFrame.class);
        byte[] key = "healthy".getBytes(StandardCharsets.UTF_8);
        long sequence = 0;
        try {
            while (runs.get()) {
                long now = System.currentTimeMillis() * 1000;
                if (now >= t0) {
                    int second = (int) ((now - t0) / 1_000_000);
                    VideoFrame frame = TestMedia.frame("healthy", sequence++, now, "JPEG", TestMedia.W, TestMedia.H,
                            TestMedia.jpeg(COLOURS[second % COLOURS.length]));
                    producer.send(new ProducerRecord<>(topics.frames().name(), key, frames.encode(frame)));
                }
                Thread.sleep(250);
            }
            producer.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(16 << 20)); // the record over max.record.bytes is 8 MiB
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** The narrator (fake narration) in its own JVM with a 256 MB heap that exits on OutOfMemoryError. */
    private static Process start(NarratorConfig config, File log) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "-Xmx256m", "-XX:+ExitOnOutOfMemoryError", "-Djavacpp.platform=linux-x86_64", "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), NarratorProcessMain.class.getName()));
        config.properties().forEach((k, v) -> command.add(k + "=" + v));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log)).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.equals("RUNNING")) {
            // wait for the child to report that Kafka Streams runs
        }
        if (line == null) throw new AssertionError("narrator process exited before running; see " + log);
        return process;
    }
}
