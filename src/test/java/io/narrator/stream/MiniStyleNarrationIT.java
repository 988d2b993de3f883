package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.PromptExample;
import io.narrator.avro.VideoFrame;
import io.narrator.ingest.FrameEncoding;
import io.narrator.ingest.IngestJob;
import io.narrator.ingest.IngestOptions;
import io.narrator.ingest.VideoSource;
import io.narrator.model.FlamingoModel;
import io.narrator.model.MiniStyleModels;
import io.narrator.model.ModelDevice;
import io.narrator.model.ModelDtype;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.train.world.WorldVideo;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming narrator on the embedded broker with a model of flamingo-mini's family that reads the latest frame of a
 * clip: a real video (H.264 in MP4, decoded by JavaCV and published as JPEG frames by the ingest engine) gets a caption
 * for every 8-second window, with all its frames, each what the model says about those frames when called directly,
 * made with the default few-shot prompt whenever the caption says it was in force; a prompt whose example text would
 * read as media is a MALFORMED_PROMPT dead letter naming the example.
 */
class MiniStyleNarrationIT {
    @TempDir static Path dir;
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
    void aRealVideoGetsACaptionPerWindowFromAFlamingoMiniStyleModel() throws Exception {
        Path video = dir.resolve("clip.mp4");
        new WorldVideo(3, 16, 5, 64, 48).write(video); // frames at 0..15.8 s
        Path modelDir = MiniStyleModels.readingLatestFrame(dir.resolve("model"));
        String name = EndToEnd.unique("mini");
        NarratorConfig config = KafkaTestSupport.config(broker.bootstrapServers(), name, Map.of("window.seconds", "8", "hop.seconds", "4",
                "window.phase", "aligned", "idle.timeout.ms", "3000", "topic.partitions", "1", "num.stream.threads", "1", "batch.max", "4"));
        Topics topics = Topics.from(config);
        NarrationPrompt good = NarrationPrompt.newBuilder().setExamples(List.of(png("red", "a red cat"))).build();
        NarrationPrompt bad = NarrationPrompt.newBuilder().setExamples(List.of(png("red", "a red cat"), png("blue", "a <b> dog"))).build();
        FlamingoModel model = FlamingoModel.load(ModelDirectory.of(modelDir), ModelDevice.AUTO.resolve(), ModelDtype.F32);
        try (FlamingoNarration narration = new FlamingoNarration(model); NarratorApp app = NarratorApp.create(config, narration)) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            try (KafkaProducer<String, byte[]> producer = KafkaTestSupport.producer(broker.bootstrapServers())) {
                AvroSerde<NarrationPrompt> serde = AvroSerde.of(NarrationPrompt.class);
                producer.send(new ProducerRecord<>(topics.prompts().name(), config.defaultPromptKey(), serde.encode(good))).get();
                producer.send(new ProducerRecord<>(topics.prompts().name(), "cam", serde.encode(bad))).get();
            }
            List<DeadLetter> letters = KafkaTestSupport.readDeadLetters(broker.bootstrapServers(), topics, got -> !got.isEmpty());
            assertThat(letters).singleElement().satisfies(l -> {
                assertThat(l.getReason()).isEqualTo("MALFORMED_PROMPT");
                assertThat(l.getMessage()).isEqualTo("example 1: the text \"a <b> dog\" holds a token that marks media in this model (<image>): "
                        + "it would be read as an image; leave it out of the text");
            });

            IngestJob job = IngestJob.builder()
                    .setSource(VideoSource.parse(video.toString()))
                    .setOptions(IngestOptions.builder().setStreamId("cam").optFps(config.sampleFps()).optStartTime(Instant.EPOCH).build())
                    .setSink(KafkaIngestSink.create(config))
                    .build();
            job.run();

            // frames at 0..15 s: windows end at 4, 8, 12 s, and the last (ending at 16 s) is flushed when the stream idles
            List<Caption> captions = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, got -> got.size() >= 4);
            assertThat(captions).extracting(Caption::getWindowEndMicros).containsExactly(4_000_000L, 8_000_000L, 12_000_000L, 16_000_000L);
            assertThat(captions).extracting(c -> c.getFrameTimestamps().size()).as("every frame of each window reaches the model").containsExactly(4, 8, 8, 8);

            Map<Long, byte[]> jpegs = new HashMap<>();
            for (VideoFrame f : KafkaTestSupport.readFrames(broker.bootstrapServers(), topics, got -> got.size() >= 16))
                jpegs.put(f.getTimestampMicros(), Buffers.toArray(f.getData()));
            CompiledPrompt examples = new PromptLibrary(narration, config).compile("direct", good);
            for (Caption c : captions) {
                assertThat(c.getError()).as("caption error").isNull();
                assertThat(c.getModelName()).isEqualTo("flamingo-mini-style-latest-frame");
                assertThat(c.getText()).isEqualTo(c.getText().strip()).doesNotContain("<EOC>", "</s>", "<s>", "<pad>", "<unk>", "<image>");
                List<BufferedImage> frames = new ArrayList<>();
                for (long t : c.getFrameTimestamps()) frames.add(ImageDecoder.decode(FrameEncoding.JPEG, jpegs.get(t), 64, 48, Long.MAX_VALUE));
                boolean prompted = c.getPromptVersion() != null;
                ClipRequest request = new ClipRequest("cam", narration.encodeFrames(frames), prompted ? examples.examples() : List.of(), null,
                        config.generation());
                assertThat(c.getText()).as("caption of the window ending at %d s (prompt %s) against the model called directly",
                        c.getWindowEndMicros() / 1_000_000, c.getPromptVersion()).isEqualTo(narration.narrate(List.of(request)).get(0).text());
            }
            assertThat(captions).extracting(Caption::getPromptVersion).as("the default prompt was in force before the frames came")
                    .containsOnly("*@0");
        }
    }

    private static PromptExample png(String colour, String text) {
        return new PromptExample("PNG", ByteBuffer.wrap(TestMedia.png(colour)), text);
    }
}
