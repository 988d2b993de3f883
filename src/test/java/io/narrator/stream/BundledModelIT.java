package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import io.narrator.avro.VideoFrame;
import io.narrator.ingest.FrameEncoding;
import io.narrator.model.FlamingoModel;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.train.world.CaptionParser;
import io.narrator.train.world.Episode;
import io.narrator.train.world.FrameRenderer;
import io.narrator.train.world.Scene;
import io.narrator.train.world.Task;
import io.narrator.train.world.World;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real thing on the embedded broker: three streams of 320×240 JPEG frames at 4 fps, rendered by the
 * synthetic world with one scene per 8-second window, narrated by the bundled model; the captions must name
 * their window's shape, colour, count and event (all four right on at least 5 of the 6 windows: the model's whole
 * captions are right about 95% of the time, see docs/model.md), and be what the model says about the same frames
 * when it is called directly (the vision encoder runs in the engine, with its cache, yet
 * gives the same features as {@link Narration#encodeFrames} of the decoded frames).
 */
class BundledModelIT {
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
    void threeWorldStreamsAreCaptionedRightByTheBundledModel() throws Exception {
        String name = EndToEnd.unique("bundled");
        NarratorConfig config = KafkaTestSupport.config(broker.bootstrapServers(), name,
                // aligned windows line up with the episodes' 8 s scenes in every stream; a long idle timeout, so that a busy machine does not flush a window early
                Map.of("window.seconds", "8", "hop.seconds", "8", "window.phase", "aligned", "idle.timeout.ms", "8000", "batch.max", "8"));
        Topics topics = Topics.from(config);
        int streams = 3;
        int scenesPerStream = 2;
        List<Episode> episodes = new ArrayList<>();
        Map<String, byte[]> sent = new java.util.HashMap<>(); // "stream@micros" -> JPEG
        for (int s = 0; s < streams; s++) episodes.add(World.DEFAULT.episode(9000 + s, scenesPerStream, 8_000_000L));
        try (NarratorApp app = NarratorApp.create(config, new FlamingoNarration(FlamingoModel.load(ModelDirectory.BUNDLED)))) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            FrameRenderer renderer = new FrameRenderer(320, 240);
            try (KafkaProducer<String, byte[]> producer = KafkaTestSupport.producer(broker.bootstrapServers())) {
                for (int s = 0; s < streams; s++) {
                    Episode e = episodes.get(s);
                    long seq = 0;
                    for (long t = 0; t < e.durationMicros(); t += 250_000L) { // 4 fps: the topology samples 1 FPS
                        byte[] jpeg = TestMedia.encode(renderer.render(e, t).image(), "jpg");
                        sent.put("cam-" + s + "@" + t, jpeg);
                        KafkaTestSupport.send(producer, topics, VideoFrame.newBuilder().setStreamId("cam-" + s).setSequence(seq++)
                                .setTimestampMicros(t).setEncoding("JPEG").setWidth(320).setHeight(240).setData(ByteBuffer.wrap(jpeg)).build());
                    }
                }
            }
            // the second window of each stream closes when the stream goes idle
            List<Caption> captions = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, got -> got.size() >= streams * scenesPerStream);
            int right = 0;
            StringBuilder report = new StringBuilder();
            for (Caption c : captions) {
                int stream = Integer.parseInt(c.getStreamId().substring(4));
                Scene truth = episodes.get(stream).truth(c.getWindowStartMicros(), c.getWindowEndMicros()).orElseThrow();
                boolean ok = CaptionParser.parse(c.getText()).isCorrect(Task.CAPTION, truth);
                if (ok) right++;
                report.append(String.format("%n  %s [%d, %d) \"%s\" truth %s %s %s x%d %s → %s", c.getStreamId(), c.getWindowStartMicros() / 1_000_000,
                        c.getWindowEndMicros() / 1_000_000, c.getText(), truth.size(), truth.colour(), truth.shape(), truth.count(), truth.event(), ok));
                assertThat(c.getError()).as("caption error").isNull();
                assertThat(c.getModelName()).isEqualTo("narrator-tiny");
                assertThat(c.getFrameTimestamps()).hasSize(8);
            }
            assertThat(right).as("windows whose caption names shape, colour, count and event right:" + report).isGreaterThanOrEqualTo(5);
            try (FlamingoModel model = FlamingoModel.load(ModelDirectory.BUNDLED); FlamingoNarration direct = new FlamingoNarration(model)) {
                for (Caption c : captions) {
                    List<java.awt.image.BufferedImage> frames = c.getFrameTimestamps().stream()
                            .map(t -> ImageDecoder.decode(FrameEncoding.JPEG, sent.get(c.getStreamId() + "@" + t), 320, 240, Long.MAX_VALUE)).toList();
                    ClipRequest request = new ClipRequest(c.getStreamId(), direct.encodeFrames(frames), List.of(), null, GenerationSettings.DEFAULT);
                    assertThat(c.getText()).as("caption of " + c.getStreamId() + " clip " + c.getClipIndex() + " against the model called directly")
                            .isEqualTo(direct.narrate(List.of(request)).get(0).text());
                }
            }
        }
    }
}
