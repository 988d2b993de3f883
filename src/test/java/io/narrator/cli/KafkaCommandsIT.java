package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.avro.Caption;
import io.narrator.avro.CaptionLatency;
import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.VideoFrame;
import io.narrator.avro.VideoSegment;
import io.narrator.ingest.FpsSampler;
import io.narrator.ingest.ManualClock;
import io.narrator.ingest.SegmentDecoder;
import io.narrator.stream.AvroSerde;
import io.narrator.stream.EmbeddedKafkaBroker;
import io.narrator.stream.FakeNarration;
import io.narrator.stream.NarratorApp;
import io.narrator.stream.NarratorConfig;
import io.narrator.stream.TopicAdmin;
import io.narrator.stream.Topics;
import io.narrator.train.world.ImageFileFormat;
import io.narrator.train.world.WorldVideo;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Kafka-facing commands against one embedded broker: ingest, tail, prompt, run and broker, and their error paths. */
class KafkaCommandsIT {
    @TempDir static Path dir;
    static EmbeddedKafkaBroker broker;
    static Path clip;
    static Path image;
    static Path model;

    @BeforeAll
    static void setUp() throws Exception {
        ProcessSetup.configure();
        broker = EmbeddedKafkaBroker.start();
        clip = dir.resolve("clip.mp4");
        new WorldVideo(5, 6, 15, 64, 48).write(clip);
        Path frames = dir.resolve("frames");
        new WorldVideo(6, 1, 1, 64, 48).writeFrames(frames, ImageFileFormat.PNG);
        try (var files = Files.list(frames)) {
            image = files.filter(f -> f.toString().endsWith(".png")).findFirst().orElseThrow();
        }
        model = TestModels.imageSensitive(Files.createDirectories(dir.resolve("model")));
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    /** A narrator.properties whose topics and application id are this test's own. */
    static Path config(String name, Map<String, String> extra) throws Exception {
        Map<String, String> p = new HashMap<>(Map.of("application.id", name, "topic.prefix", name + ".", "topic.partitions", "1",
                "state.dir", Files.createDirectories(dir.resolve("state-" + name)).toString()));
        p.putAll(extra);
        Path file = dir.resolve(name + ".properties");
        Files.writeString(file, p.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("\n")) + "\n");
        return file;
    }

    static String[] kafka(Path config, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--bootstrap-servers", broker.bootstrapServers(), "--config", config.toString()));
        return all.toArray(String[]::new);
    }

    static Topics topics(Path config) {
        return Topics.from(NarratorConfig.load(config));
    }

    /** Reads records of a topic from the beginning with a plain consumer until there are {@code count}. */
    static List<ConsumerRecord<String, byte[]>> read(String topic, int count) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            List<TopicPartition> partitions = List.of();
            while (partitions.isEmpty()) { // a command running alongside may not have created the topic yet
                if (System.nanoTime() > deadline) throw new AssertionError("no topic " + topic);
                partitions = consumer.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (out.size() < count) {
                if (System.nanoTime() > deadline) throw new AssertionError("only " + out.size() + " of " + count + " records in " + topic);
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    @Test
    void ingestPublishesSampledJpegFramesKeyedByStream() throws Exception {
        Path config = config("frames", Map.of());
        Cli.Result r = Cli.run(kafka(config, "ingest", clip.toString(), "--stream-id", "cam-1", "--start-time", "0"));
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.outLines()).singleElement().asString().startsWith("published 6 frames of stream cam-1 (5.").contains("to frames.frames");
        assertThat(r.err()).as("progress bar").contains("cam-1").contains("100%");

        List<ConsumerRecord<String, byte[]>> records = read(topics(config).frames().name(), 6);
        assertThat(records).hasSize(6).extracting(ConsumerRecord::key).containsOnly("cam-1");
        AvroSerde<VideoFrame> serde = AvroSerde.of(VideoFrame.class);
        List<VideoFrame> frames = records.stream().map(rec -> serde.decode(rec.value())).toList();
        assertThat(frames).extracting(VideoFrame::getTimestampMicros).containsExactly(0L, 1_000_000L, 2_000_000L, 3_000_000L, 4_000_000L, 5_000_000L);
        assertThat(frames).extracting(VideoFrame::getSequence).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
        for (VideoFrame f : frames) {
            assertThat(f.getEncoding()).isEqualTo("JPEG");
            byte[] bytes = new byte[f.getData().remaining()];
            f.getData().get(bytes);
            BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(bytes));
            assertThat(decoded.getWidth()).isEqualTo(64);
            assertThat(decoded.getHeight()).isEqualTo(48);
        }
    }

    @Test
    void ingestAsSegmentsPublishesMpegTsChunksThatDecodeToEveryFrame() throws Exception {
        Path config = config("segments", Map.of());
        Cli.Result r = Cli.run(kafka(config, "ingest", clip.toString(), "--stream-id", "cam-2", "--as", "segments", "--segment-seconds", "2",
                "--start-time", "1700000000000", "--no-progress"));
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.err()).doesNotContain("%");
        int published = Integer.parseInt(r.out().replaceAll("(?s)^published (\\d+) segments.*", "$1"));
        assertThat(published).isPositive();

        List<ConsumerRecord<String, byte[]>> records = read(topics(config).segments().name(), published);
        AvroSerde<VideoSegment> serde = AvroSerde.of(VideoSegment.class);
        long next = 1_700_000_000_000_000L;
        int decoded = 0;
        for (ConsumerRecord<String, byte[]> rec : records) {
            VideoSegment s = serde.decode(rec.value());
            assertThat(rec.key()).isEqualTo("cam-2");
            assertThat(s.getContainer()).isEqualTo("MPEGTS");
            assertThat(s.getStartMicros()).isEqualTo(next);
            next += s.getDurationMicros();
            byte[] bytes = new byte[s.getData().remaining()];
            s.getData().get(bytes);
            decoded += SegmentDecoder.decode(SegmentDecoder.Container.MPEGTS, null, bytes, s.getStartMicros(), new FpsSampler(1000), FpsSampler.NONE,
                    Long.MAX_VALUE).decodedFrames();
        }
        assertThat(decoded).isEqualTo(6 * 15);
    }

    @Test
    void tailPrintsCaptionsAsTextJsonWebVttAndSrt() throws Exception {
        Path config = config("tail", Map.of());
        NarratorConfig narrator = NarratorConfig.load(config).with("bootstrap.servers", broker.bootstrapServers());
        try (Admin admin = Admin.create(narrator.clientProperties())) {
            TopicAdmin.ensureTopics(admin, narrator);
        }
        long base = 1_700_000_000_000_000L;
        List<Caption> captions = List.of(
                caption("cam-1", 0, base - 4_000_000, base + 4_000_000, List.of(base, base + 1_000_000), "a red circle", null),
                caption("cam-1", 1, base, base + 8_000_000, List.of(base, base + 7_000_000), "a red circle moves left", null),
                caption("cam-2", 0, base + 2_000_000, base + 4_000_000, List.of(base + 3_000_000), "two blue squares", null),
                caption("cam-1", 2, base + 4_000_000, base + 12_000_000, List.of(base + 4_000_000), "", "skipped: narration is 70000 ms behind"),
                caption("cam-1", 3, base + 8_000_000, base + 16_000_000, List.of(base + 8_000_000), "a green star", null));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(narrator.clientProperties(), new StringSerializer(), new ByteArraySerializer())) {
            for (Caption c : captions)
                producer.send(new ProducerRecord<>(topics(config).captions().name(), c.getStreamId(), AvroSerde.of(Caption.class).encode(c))).get();
        }

        Cli.Result text = Cli.run(kafka(config, "tail", "--from-beginning", "--stream-id", "cam-1", "--limit", "4"));
        assertThat(text.exitCode()).as(text.toString()).isZero();
        assertThat(text.outLines()).containsExactly(
                "cam-1  00:00:00.000 → 00:00:04.000  a red circle  (120 ms)",
                "cam-1  00:00:00.000 → 00:00:08.000  a red circle moves left  (120 ms)",
                "cam-1  00:00:04.000 → 00:00:12.000  [no caption: skipped: narration is 70000 ms behind]  (120 ms)",
                "cam-1  00:00:08.000 → 00:00:16.000  a green star  (120 ms)");

        Cli.Result vtt = Cli.run(kafka(config, "tail", "--from-beginning", "--stream-id", "cam-1", "--limit", "4", "--format", "webvtt"));
        assertThat(vtt.exitCode()).as(vtt.toString()).isZero();
        assertThat(vtt.outLines()).containsExactly("WEBVTT", "",
                "00:00:00.000 --> 00:00:04.000", "a red circle", "",
                "00:00:00.000 --> 00:00:08.000", "a red circle moves left", "",
                "00:00:08.000 --> 00:00:16.000", "a green star", "");

        Cli.Result srt = Cli.run(kafka(config, "tail", "--from-beginning", "--limit", "5", "--format", "srt"));
        assertThat(srt.exitCode()).as(srt.toString()).isZero();
        assertThat(srt.outLines()).containsExactly(
                "1", "00:00:00,000 --> 00:00:04,000", "[cam-1] a red circle", "",
                "2", "00:00:00,000 --> 00:00:08,000", "[cam-1] a red circle moves left", "",
                "3", "00:00:00,000 --> 00:00:01,000", "[cam-2] two blue squares", "",
                "4", "00:00:08,000 --> 00:00:16,000", "[cam-1] a green star", "");

        Cli.Result json = Cli.run(kafka(config, "tail", "--from-beginning", "--stream-id", "cam-2", "--limit", "1", "--format", "json"));
        assertThat(json.exitCode()).as(json.toString()).isZero();
        JsonNode n = new ObjectMapper().readTree(json.outLines().get(0));
        assertThat(n.get("streamId").asText()).isEqualTo("cam-2");
        assertThat(n.get("text").asText()).isEqualTo("two blue squares");
        assertThat(n.get("windowEndMicros").asLong()).isEqualTo(base + 4_000_000);
        assertThat(n.at("/latencyMs/total").asLong()).isEqualTo(120);
        assertThat(n.get("error").isNull()).isTrue();
    }

    private static Caption caption(String stream, long index, long start, long end, List<Long> frames, String text, String error) {
        return Caption.newBuilder().setStreamId(stream).setClipIndex(index).setWindowStartMicros(start).setWindowEndMicros(end)
                .setFrameTimestamps(frames).setFrameSequences(frames.stream().map(f -> 0L).toList()).setText(text)
                .setLogProb(error == null ? -3.5 : null).setPromptVersion(null).setModelName("test").setModelVersion("1")
                .setLatency(new CaptionLatency(10L, 20L, 30L, 60L, 120L)).setError(error).setCreatedAtMillis(System.currentTimeMillis()).build();
    }

    @Test
    void promptSetGetAndClear() throws Exception {
        Path config = config("prompts", Map.of());
        Cli.Result set = Cli.run(kafka(config, "prompt", "set", "--stream-id", "cam-1", "--example", image.toString(), "a red circle",
                "--example", clip.toString(), "two blue squares move left", "--max-tokens", "5"));
        assertThat(set.exitCode()).as(set.toString()).isZero();
        assertThat(set.outLines().get(0)).startsWith("example 1: " + image + " -> PNG, ").endsWith("\"a red circle\"");
        assertThat(set.outLines().get(1)).startsWith("example 2: " + clip + " -> MPEGTS, ").contains("6 frame(s) at 1.0 fps");
        assertThat(set.outLines().get(2)).startsWith("set the prompt of stream cam-1: 2 example(s), prompts.prompts partition 0 offset ");

        List<ConsumerRecord<String, byte[]>> records = read(topics(config).prompts().name(), 1);
        NarrationPrompt published = AvroSerde.of(NarrationPrompt.class).decode(records.get(0).value());
        byte[] sent = new byte[published.getExamples().get(0).getMedia().remaining()];
        published.getExamples().get(0).getMedia().get(sent);
        assertThat(sent).isEqualTo(Files.readAllBytes(image));
        assertThat(published.getMaxTokens()).isEqualTo(5);
        assertThat(published.getBeams()).isNull();

        Cli.Result get = Cli.run(kafka(config, "prompt", "get", "--stream-id", "cam-1", "--json"));
        assertThat(get.exitCode()).as(get.toString()).isZero();
        JsonNode n = new ObjectMapper().readTree(get.out());
        assertThat(n.get("version").asText()).isEqualTo("cam-1@" + records.get(0).offset());
        assertThat(n.get("status").asText()).isEqualTo("not validated yet (is a narrator running?)");
        assertThat(n.at("/prompt/maxTokens").asInt()).isEqualTo(5);
        assertThat(n.at("/prompt/examples/0/mediaType").asText()).isEqualTo("PNG");
        assertThat(n.at("/prompt/examples/1/mediaType").asText()).isEqualTo("MPEGTS");
        assertThat(n.at("/prompt/examples/1/text").asText()).isEqualTo("two blue squares move left");

        Cli.Result text = Cli.run(kafka(config, "prompt", "get", "--stream-id", "cam-1"));
        assertThat(text.outLines().get(0)).startsWith("The prompt of stream cam-1: version cam-1@");
        assertThat(text.out()).contains("max tokens 5, beams default").contains("example 1  PNG").contains("\"two blue squares move left\"");
        assertThat(Cli.run(kafka(config, "prompt", "get", "--default")).outLines())
                .containsExactly("no default prompt is set: streams without a prompt of their own are narrated zero-shot");

        Cli.Result clear = Cli.run(kafka(config, "prompt", "clear", "--stream-id", "cam-1"));
        assertThat(clear.exitCode()).as(clear.toString()).isZero();
        assertThat(clear.outLines()).singleElement().asString().startsWith("cleared the prompt of stream cam-1 (prompts.prompts partition 0 offset ");
        assertThat(read(topics(config).prompts().name(), 2).get(1).value()).as("a tombstone").isNull();
        assertThat(Cli.run(kafka(config, "prompt", "get", "--stream-id", "cam-1")).outLines())
                .containsExactly("stream cam-1 has no prompt of its own: the default prompt, if any, applies");

        Cli.Result neither = Cli.run(kafka(config, "prompt", "get"));
        assertThat(neither.exitCode()).isEqualTo(2);
        assertThat(neither.errLines()).singleElement().asString().contains("--stream-id").contains("--default");
        Cli.Result hop = Cli.run(kafka(config, "prompt", "set", "--default", "--window-seconds", "2"));
        assertThat(hop.exitCode()).isEqualTo(1);
        assertThat(hop.errLines()).singleElement().asString().contains("hop 4 s is longer than window 2 s");
    }

    @Test
    void promptGetSaysWhetherARunningNarratorPutThePromptInForceOrRejectedIt() throws Exception {
        Path config = config("validated", Map.of("commit.interval.ms", "100"));
        NarratorConfig narrator = NarratorConfig.load(config).with("bootstrap.servers", broker.bootstrapServers());
        Path longClip = dir.resolve("long.mp4");
        new WorldVideo(8, 20, 2, 64, 48).write(longClip);
        try (NarratorApp app = NarratorApp.create(narrator, new FakeNarration(16))) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofMinutes(2))).isTrue();
            assertThat(Cli.run(kafka(config, "prompt", "set", "--default", "--example", image.toString(), "a red circle")).exitCode()).isZero();
            String status = awaitStatus(config, "in force");
            assertThat(status).isEqualTo("in force");

            Cli.Result tooLong = Cli.run(kafka(config, "prompt", "set", "--default", "--example", longClip.toString(), "a long clip"));
            assertThat(tooLong.exitCode()).as(tooLong.toString()).isZero();
            assertThat(tooLong.out()).contains("20 frame(s) at 1.0 fps");
            assertThat(awaitStatus(config, "rejected")).startsWith("rejected by the narrator (MALFORMED_PROMPT: ")
                    .contains("the model takes at most 16").endsWith("; *@0 stays in force");

            String wordy = "word ".repeat(300).strip(); // 305 tokens with the prompt format: more than the model's 256
            assertThat(Cli.run(kafka(config, "prompt", "set", "--default", "--example", image.toString(), wordy)).exitCode()).isZero();
            assertThat(awaitStatus(config, "rejected")).isEqualTo("rejected by the narrator (PROMPT_TOO_LONG: the prompt takes 305 tokens and 20 more "
                    + "are generated: 325 is more than model fake-narrator's context of 256 tokens); *@0 stays in force");
        }
    }

    /** Asks {@code prompt get --default} until its status starts with {@code prefix} (a narrator validates asynchronously). */
    private static String awaitStatus(Path config, String prefix) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (true) {
            Cli.Result get = Cli.run(kafka(config, "prompt", "get", "--default", "--json"));
            assertThat(get.exitCode()).as(get.toString()).isZero();
            String status = new ObjectMapper().readTree(get.out()).get("status").asText();
            if (status.startsWith(prefix) || System.nanoTime() > deadline) return status;
            Thread.sleep(300);
        }
    }

    @Test
    void runNarratesWhatIngestPublishesAndTailShowsTheCaptions() throws Exception {
        Path config = config("run", Map.of("window.seconds", "2", "hop.seconds", "1", "idle.timeout.ms", "1000", "commit.interval.ms", "100",
                "num.stream.threads", "1"));
        Cli.Running run = new Cli.Running(kafka(config, "run", "--model", model.toString()));
        run.awaitOutput("narrator running");
        assertThat(run.out()).contains("application.id run, model tiny-test 0.0.1").contains("run.frames + run.segments -> run.captions");

        Cli.Result ingest = Cli.run(kafka(config, "ingest", clip.toString(), "--stream-id", "cam-run", "--start-time", "0", "--no-progress"));
        assertThat(ingest.exitCode()).as(ingest.toString()).isZero();
        // frames at 0..5 s, window 2 s, hop 1 s: windows end at 1..5 s, and the last one (ending at 6 s) is flushed when the stream idles
        Cli.Result tail = Cli.run(kafka(config, "tail", "--from-beginning", "--stream-id", "cam-run", "--limit", "6"));
        assertThat(tail.exitCode()).as(tail.toString()).isZero();
        List<CaptionCommandTest.Line> lines = tail.outLines().stream().map(CaptionCommandTest.Line::parse).toList();
        assertThat(lines).extracting(CaptionCommandTest.Line::start).containsExactly(0.0, 0.0, 1.0, 2.0, 3.0, 4.0);
        assertThat(lines).extracting(CaptionCommandTest.Line::end).containsExactly(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
        assertThat(lines).extracting(CaptionCommandTest.Line::text).allSatisfy(t -> assertThat(t).isNotBlank().doesNotStartWith("[no caption"));

        Cli.Result stopped = run.stop();
        assertThat(stopped.exitCode()).as(stopped.toString()).isZero();
        assertThat(stopped.out()).contains("stopping the narrator");
    }

    @Test
    void anIngestStoppedMidwayHasPublishedEveryFrameItReports() throws Exception {
        Path config = config("stopped", Map.of());
        ManualClock clock = new ManualClock(); // --realtime paces by this clock: the frames of the 6 s clip leave only as the test moves it
        Cli.Running ingest = new Cli.Running(Cli.with(new IngestCommand(clock, clock)),
                kafka(config, "ingest", clip.toString(), "--stream-id", "cam-3", "--realtime", "--no-progress"));
        read(topics(config).frames().name(), 1); // the first frame leaves at once
        assertThat(clock.awaitSleeping(1, Duration.ofMinutes(2))).as("the ingest waits for the second frame's time").isTrue();
        clock.advance(Duration.ofSeconds(1));
        read(topics(config).frames().name(), 2);
        assertThat(clock.awaitSleeping(2, Duration.ofMinutes(2))).as("the ingest waits for the third frame's time").isTrue();
        Cli.Result r = ingest.stop();
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("published 2 frames of stream cam-3 (");
        assertThat(read(topics(config).frames().name(), 2)).hasSize(2);
    }

    @Test
    void runWithoutBootstrapServersStartsAnEmbeddedBrokerAndSaysWhere() throws Exception {
        Path config = config("embedded", Map.of());
        Cli.Running run = new Cli.Running("run", "--config", config.toString(), "--broker-port", "0", "--model", model.toString());
        run.awaitOutput("narrator running");
        String address = run.out().replaceAll("(?s).*embedded Kafka broker listening on (\\S+) .*", "$1");
        Properties p = new Properties();
        p.put("bootstrap.servers", address);
        try (Admin admin = Admin.create(p)) {
            assertThat(admin.listTopics().names().get()).contains("embedded.frames", "embedded.captions");
        }
        Cli.Result r = run.stop();
        assertThat(r.exitCode()).as(r.toString()).isZero();
    }

    @Test
    void brokerServesClientsUntilStopped() throws Exception {
        Cli.Running running = new Cli.Running("broker", "--port", "0");
        running.awaitOutput("Ctrl-C to stop");
        String address = running.out().replaceAll("(?s).*listening on (\\S+) .*", "$1");
        Properties p = new Properties();
        p.put("bootstrap.servers", address);
        try (Admin admin = Admin.create(p)) {
            assertThat(admin.describeCluster().nodes().get()).hasSize(1);
        }
        Cli.Result r = running.stop();
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).contains("data in").contains("deleted on exit").contains("stopping the broker");

        Cli.Result busy = Cli.run("broker", "--port", String.valueOf(broker.port()));
        assertThat(busy.exitCode()).isEqualTo(1);
        assertThat(busy.errLines()).singleElement().asString().contains("port " + broker.port() + " is in use");
    }

    @Test
    void aBootstrapServerThatRefusesConnectionsFailsWithinSecondsNamingTheAddress() throws Exception {
        int closed;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort(); // nothing listens there once it is closed
        }
        String address = "127.0.0.1:" + closed;
        String[][] commands = {
            {"run", "--model", model.toString()},
            {"ingest", clip.toString(), "--stream-id", "x"},
            {"tail"},
            {"prompt", "get", "--stream-id", "x"},
            {"prompt", "set", "--default", "--example", image.toString(), "a caption"},
        };
        for (String[] command : commands) {
            List<String> args = new ArrayList<>(List.of(command));
            args.addAll(List.of("--bootstrap-servers", address)); // the default --connect-timeout, 15 s
            long start = System.nanoTime();
            Cli.Result r = Cli.run(args.toArray(String[]::new));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
            assertThat(r.errLines()).as(r.toString()).containsExactly("narrator: error: cannot reach Kafka at " + address + " (" + address
                    + ": connection refused); is a broker running there? Start one with `narrator broker`, or pass --bootstrap-servers");
            assertThat(took).as(String.join(" ", command)).isLessThan(Duration.ofSeconds(3));
        }
    }

    @Test
    void anUnreachableBrokerOrAMissingFileIsOneLineAndExitCodeOne() throws Exception {
        String[][] commands = {
            {"ingest", clip.toString(), "--stream-id", "x"},
            {"tail"},
            {"prompt", "get", "--stream-id", "x"},
            {"prompt", "clear", "--default"},
            {"run", "--model", model.toString()},
        };
        for (String[] command : commands) {
            List<String> args = new ArrayList<>(List.of(command));
            args.addAll(List.of("--bootstrap-servers", "localhost:1", "--connect-timeout", "2"));
            Cli.Result r = Cli.run(args.toArray(String[]::new));
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
            assertThat(r.errLines()).as(r.toString()).singleElement().asString()
                    .startsWith("narrator: error: cannot reach Kafka at localhost:1 (").contains("narrator broker");
        }
        Cli.Result missing = Cli.run(kafka(config("missing", Map.of()), "ingest", dir.resolve("nope.mp4").toString(), "--stream-id", "x"));
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.errLines()).containsExactly("narrator: error: video source not found: no file or folder at " + dir.resolve("nope.mp4"));
        Cli.Result badFps = Cli.run(kafka(config("fps", Map.of()), "ingest", clip.toString(), "--stream-id", "x", "--fps", "0"));
        assertThat(badFps.exitCode()).isEqualTo(1);
        assertThat(badFps.errLines()).singleElement().asString().contains("fps must be a positive number");
        Cli.Result noStream = Cli.run("ingest", clip.toString());
        assertThat(noStream.exitCode()).isEqualTo(2);
        assertThat(noStream.errLines()).singleElement().asString().contains("--stream-id");
    }
}
