package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
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
            String reason = "the narration engine failed: java.lang.StackOverflowError: in the model";
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
