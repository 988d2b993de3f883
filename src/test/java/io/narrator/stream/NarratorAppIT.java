package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.PromptExample;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The narrator end to end on the embedded KRaft broker (one broker for the class) with the fake narration. */
class NarratorAppIT {
    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedKafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void threeStreamsOfFramesInCorrectCaptionsOut() throws Exception {
        EndToEnd.threeStreamsOfFrames(broker.bootstrapServers());
    }

    @Test
    void killedMidStreamAndRestartedCaptionsEachWindowExactlyOnce() throws Exception {
        EndToEnd.killAndRestartCaptionsEachWindowExactlyOnce(broker.bootstrapServers());
    }

    @Test
    void healthIsLiveAndReadyWhileRunningAndAnEngineErrorMakesItNotLive() throws Exception {
        NarratorConfig config = KafkaTestSupport.config(broker.bootstrapServers(), EndToEnd.unique("health"), Map.of("metrics.port", "0"));
        Topics topics = Topics.from(config);
        FakeNarration narration = new FakeNarration();
        try (NarratorApp app = NarratorApp.create(config, narration)) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            assertThat(get(app, "/health/live")).isEqualTo("200 live");
            assertThat(get(app, "/health/ready")).isEqualTo("200 ready");

            narration.failNarration = new StackOverflowError("in the model");
            try (KafkaProducer<String, byte[]> producer = KafkaTestSupport.producer(broker.bootstrapServers())) {
                KafkaTestSupport.send(producer, topics, TestMedia.frame("cam", 0, 0, "red"));
                KafkaTestSupport.send(producer, topics, TestMedia.frame("cam", 1, 1, "green"));
            }
            List<Caption> captions = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, got -> got.size() >= 1);
            assertThat(captions).extracting(Caption::getError).containsExactly("narration engine failed: java.lang.StackOverflowError: in the model");
            assertThat(app.failure()).isSameAs(narration.failNarration);
            String reason = "the narration engine failed: java.lang.StackOverflowError: in the model; give threads a larger stack (JAVA_OPTS=-Xss...)";
            assertThat(app.failureReason()).isEqualTo(reason);
            assertThat(get(app, "/health/live")).isEqualTo("503 " + reason);
            assertThat(get(app, "/health/ready")).isEqualTo("503 " + reason);
            assertThat(get(app, "/metrics")).contains("narrator_engine_failed 1.0").contains("narrator_engine_threads_alive 0.0")
                    .contains("narrator_engine_batch_failures_total{kind=\"error\"} 1.0");
        }
    }

    /** The status code and body (trimmed) of a GET on the narrator's metrics port. */
    private static String get(NarratorApp app, String path) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + app.metricsPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
        return response.statusCode() + " " + response.body().strip();
    }

    @Test
    void aPromptStillWaitingForValidationWhenTheNarratorStopsIsValidatedAfterARestart() throws Exception {
        NarratorConfig config = KafkaTestSupport.config(broker.bootstrapServers(), EndToEnd.unique("waiting"), Map.of());
        Topics topics = Topics.from(config);
        NarrationPrompt prompt = NarrationPrompt.newBuilder().setExamples(List.of(
                new PromptExample("PNG", ByteBuffer.wrap(TestMedia.png("red")), "kept"))).build();
        FakeNarration slow = new FakeNarration();
        java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
        slow.promptValidationGate = gate;
        try {
            try (NarratorApp app = NarratorApp.create(config, slow)) {
                app.start();
                assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
                try (KafkaProducer<String, byte[]> producer = KafkaTestSupport.producer(broker.bootstrapServers())) {
                    producer.send(new ProducerRecord<>(topics.prompts().name(), "cam", AvroSerde.of(NarrationPrompt.class).encode(prompt))).get();
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (app.engine().metrics().promptsWaiting() < 1 && System.nanoTime() < deadline) Thread.sleep(20);
                assertThat(app.engine().metrics().promptsWaiting()).as("the prompt waits for validation").isEqualTo(1);
                Thread.sleep(500); // a commit (commit.interval.ms=100) takes the kept prompt and the input offset together
            }
        } finally {
            gate.countDown();
        }
        // a fresh instance (its state restored from the changelog) validates it: neither lost nor applied twice
        NarratorConfig restarted = config.with("state.dir", java.nio.file.Files.createTempDirectory(java.nio.file.Path.of("target").toAbsolutePath(),
                "state-restarted").toString());
        try (NarratorApp app = NarratorApp.create(restarted, new FakeNarration())) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (app.engine().metrics().count("narrator.prompts", "outcome", "applied") < 1 && System.nanoTime() < deadline) Thread.sleep(20);
            try (KafkaProducer<String, byte[]> producer = KafkaTestSupport.producer(broker.bootstrapServers())) {
                KafkaTestSupport.send(producer, topics, TestMedia.frame("cam", 0, 0, "red"));
                KafkaTestSupport.send(producer, topics, TestMedia.frame("cam", 1, 1, "green"));
            }
            List<Caption> captions = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, got -> got.size() >= 1);
            assertThat(captions).extracting(c -> c.getPromptVersion() + ":" + c.getText()).containsExactly("cam@0:examples=kept/1 frames=red");
            assertThat(app.engine().metrics().count("narrator.prompts", "outcome", "applied")).isEqualTo(1);
        }
    }

    @Test
    void aPromptOfTenThousandTinyExamplesIsRejectedAtOnceWhileStreamsAreNarrated() throws Exception {
        NarratorConfig config = KafkaTestSupport.config(broker.bootstrapServers(), EndToEnd.unique("huge"), Map.of());
        Topics topics = Topics.from(config);
        byte[] tiny = TestMedia.encode(TestMedia.solid("red", 1, 1), "png");
        List<PromptExample> examples = new java.util.ArrayList<>();
        for (int i = 0; i < 10_000; i++) examples.add(new PromptExample("PNG", ByteBuffer.wrap(tiny), "a small red dot in example number " + i)); // about 120 bytes each, 1.2 MB in all
        byte[] huge = AvroSerde.of(NarrationPrompt.class).encode(NarrationPrompt.newBuilder().setExamples(examples).build());
        assertThat(huge.length).isGreaterThan(1_000_000);
        try (NarratorApp app = NarratorApp.create(config, new FakeNarration())) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            java.util.Properties big = new java.util.Properties();
            big.put("max.request.size", String.valueOf(4 << 20));
            try (KafkaProducer<String, byte[]> producer = KafkaTestSupport.producer(broker.bootstrapServers());
                    KafkaProducer<String, byte[]> prompts = new KafkaProducer<>(withBootstrap(big), new org.apache.kafka.common.serialization.StringSerializer(),
                            new org.apache.kafka.common.serialization.ByteArraySerializer())) {
                prompts.send(new ProducerRecord<>(topics.prompts().name(), "*", huge)).get();
                long sent = System.nanoTime();
                for (int s = 0; s < 3; s++)
                    for (int second = 0; second <= 2; second++)
                        KafkaTestSupport.send(producer, topics, TestMedia.frame("cam-" + s, second, second, EndToEnd.colour(s, second)));
                producer.flush();
                List<Caption> captions = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, got -> got.size() >= 6);
                long tookMs = (System.nanoTime() - sent) / 1_000_000;
                assertThat(captions).extracting(Caption::getPromptVersion).containsOnlyNulls();
                // the campaign saw no caption of any stream for 76 s while this prompt was validated on a stream thread
                assertThat(tookMs).as("ms until every stream's first two captions").isLessThan(20_000);
            }
            List<DeadLetter> letters = KafkaTestSupport.readDeadLetters(broker.bootstrapServers(), topics, got -> !got.isEmpty());
            assertThat(letters).extracting(DeadLetter::getReason).containsExactly("PROMPT_TOO_LONG");
            assertThat(letters.get(0).getMessage()).isEqualTo("the prompt has 10000 examples, more than prompt.max.examples=32");
        }
    }

    private static java.util.Properties withBootstrap(java.util.Properties p) {
        p.put("bootstrap.servers", broker.bootstrapServers());
        p.put("acks", "all");
        return p;
    }

    @Test
    void ofTwoInstancesWithOneGroupInstanceIdTheOlderStopsSayingWhy() throws Exception {
        String name = EndToEnd.unique("twins");
        NarratorConfig first = KafkaTestSupport.config(broker.bootstrapServers(), name, Map.of("group.instance.id", "twin", "num.stream.threads", "1"));
        NarratorConfig second = KafkaTestSupport.config(broker.bootstrapServers(), name, Map.of("group.instance.id", "twin", "num.stream.threads", "1"));
        try (NarratorApp older = NarratorApp.create(first, new FakeNarration()); NarratorApp newer = NarratorApp.create(second, new FakeNarration())) {
            older.start();
            assertThat(older.awaitRunning(Duration.ofSeconds(90))).isTrue();
            newer.start();
            assertThat(newer.awaitRunning(Duration.ofSeconds(90))).isTrue();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (older.failure() == null && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(older.failureReason()).startsWith("a stream thread failed: ")
                    .endsWith("(another instance uses group.instance.id twin: every instance needs its own)");
            assertThat(older.health().live()).isFalse();
            assertThat(newer.failure()).isNull();
        }
    }

    @Test
    void aClipPendingWhenTheNarratorStopsIsNarratedAfterTheRestartNotTimedOut() throws Exception {
        NarratorConfig config = KafkaTestSupport.config(broker.bootstrapServers(), EndToEnd.unique("pending"), Map.of());
        Topics topics = Topics.from(config);
        FakeNarration stuck = new FakeNarration();
        stuck.hold = batch -> true;
        try {
            try (NarratorApp app = NarratorApp.create(config, stuck)) {
                app.start();
                assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
                try (KafkaProducer<String, byte[]> producer = KafkaTestSupport.producer(broker.bootstrapServers())) {
                    KafkaTestSupport.send(producer, topics, TestMedia.frame("cam", 0, 0, "red"));
                    KafkaTestSupport.send(producer, topics, TestMedia.frame("cam", 1, 1, "green"));
                }
                assertThat(stuck.held.await(60, java.util.concurrent.TimeUnit.SECONDS)).as("clip 0 is in the model").isTrue();
                Thread.sleep(500); // a commit (commit.interval.ms=100) takes the pending clip
            }
        } finally {
            stuck.release.countDown();
        }
        NarratorConfig restarted = config.with("state.dir", java.nio.file.Files.createTempDirectory(java.nio.file.Path.of("target").toAbsolutePath(),
                "state-restarted").toString());
        try (NarratorApp app = NarratorApp.create(restarted, new FakeNarration())) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            List<Caption> captions = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, got -> !got.isEmpty());
            assertThat(captions).extracting(c -> c.getClipIndex() + ":" + c.getText() + ":" + c.getError()).containsExactly("0:frames=red:null");
            assertThat(app.engine().metrics().count("narrator.clips.skipped", "reason", "timeout")).isZero();
        }
    }

    @Test
    void segmentsInCaptionsOut() throws Exception {
        NarratorConfig config = KafkaTestSupport.config(broker.bootstrapServers(), EndToEnd.unique("segments"), Map.of());
        Topics topics = Topics.from(config);
        try (NarratorApp app = NarratorApp.create(config, new FakeNarration())) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            try (KafkaProducer<String, byte[]> producer = KafkaTestSupport.producer(broker.bootstrapServers())) {
                KafkaTestSupport.send(producer, topics, TestMedia.segment("ts", 0, 0, 2, "MPEGTS", TestMedia.video(List.of("red", "green"), 5, false)));
                KafkaTestSupport.send(producer, topics, TestMedia.segment("ts", 1, 2, 2, "MPEGTS", TestMedia.video(List.of("blue", "white"), 5, false)));
                KafkaTestSupport.send(producer, topics, TestMedia.segment("mp4", 0, 0, 3, "FMP4", TestMedia.video(List.of("yellow", "cyan", "red"), 5, true)));
            }
            List<Caption> captions = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, got -> got.size() >= 5);
            assertThat(captions).filteredOn(c -> c.getStreamId().equals("ts")).extracting(Caption::getText)
                    .containsExactly("frames=red", "frames=red,green", "frames=green,blue");
            assertThat(captions).filteredOn(c -> c.getStreamId().equals("ts")).extracting(Caption::getFrameSequences)
                    .containsExactly(List.of(0L), List.of(0L, 0L), List.of(0L, 1L));
            assertThat(captions).filteredOn(c -> c.getStreamId().equals("mp4")).extracting(Caption::getText)
                    .containsExactly("frames=yellow", "frames=yellow,cyan");
        }
    }

    @Test
    void aCorruptRecordAmidGoodOnesIsADeadLetterAndTheStreamContinues() throws Exception {
        NarratorConfig config = KafkaTestSupport.config(broker.bootstrapServers(), EndToEnd.unique("corrupt"), Map.of("metrics.port", "0"));
        Topics topics = Topics.from(config);
        try (NarratorApp app = NarratorApp.create(config, new FakeNarration())) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            try (KafkaProducer<String, byte[]> producer = KafkaTestSupport.producer(broker.bootstrapServers())) {
                KafkaTestSupport.send(producer, topics, TestMedia.frame("cam", 0, 0, "red"));
                KafkaTestSupport.send(producer, topics, TestMedia.frame("cam", 1, 1, "green"));
                producer.send(new ProducerRecord<>(topics.frames().name(), "cam", new byte[] {(byte) 0xC3, 0x01, 9, 9, 9}));
                KafkaTestSupport.send(producer, topics, TestMedia.frame("cam", 2, 1.5, "blue"));
                KafkaTestSupport.send(producer, topics,
                        TestMedia.frame("cam", 3, 2_000_000, "JPEG", TestMedia.W, TestMedia.H, ByteBuffer.allocate(20).array()));
                KafkaTestSupport.send(producer, topics, TestMedia.frame("cam", 4, 2, "white"));
                KafkaTestSupport.send(producer, topics, TestMedia.frame("cam", 5, 3, "white"));
            }
            List<DeadLetter> letters = KafkaTestSupport.readDeadLetters(broker.bootstrapServers(), topics, got -> got.size() >= 2);
            assertThat(letters).extracting(DeadLetter::getReason).containsExactly("NOT_AVRO", "UNDECODABLE_IMAGE");
            assertThat(letters).extracting(DeadLetter::getOriginOffset).containsExactly(2L, 4L);
            assertThat(letters).extracting(DeadLetter::getOriginTopic).containsOnly(topics.frames().name());
            List<Caption> captions = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, got -> got.size() >= 3);
            assertThat(captions).extracting(Caption::getText).containsExactly("frames=red", "frames=red,green", "frames=green,white");

            HttpResponse<String> scrape = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://localhost:" + app.metricsPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.body())
                    .contains("narrator_dead_letters_total{reason=\"NOT_AVRO\"} 1.0")
                    .contains("narrator_captions_total{outcome=\"published\"} 3.0")
                    .contains("kafka_stream");
        }
    }
}
