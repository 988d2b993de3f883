package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import io.narrator.avro.state.PendingClip;
import io.narrator.avro.state.StoredFrame;
import io.narrator.avro.state.StoredImage;
import io.narrator.avro.state.WindowProgress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * The vision encoder runs in the narration engine: kept frames are stored as images and encoded there (ahead of their
 * clips, in batches across streams, or when a clip needs them), undecodable frames are dead letters at once, a
 * failing encoder fails only the clips that needed it, and a restarted task's pending clips are encoded again from
 * their stored images.
 */
class VisionEngineTopologyTest {
    @Test
    void keptFramesOfSeveralStreamsAreEncodedTogetherByTheEngineAheadOfTheirClips() throws Exception {
        try (TopologyHarness h = new TopologyHarness(Map.of("vision.batch.max", "3", "vision.batch.wait.ms", "600000"))) {
            h.frame(TestMedia.frame("a", 0, 0.0, "red"));
            h.frame(TestMedia.frame("b", 0, 0.0, "green"));
            h.frame(TestMedia.frame("a", 1, 0.5, "red")); // dropped by 1 FPS sampling: never decoded, never encoded
            h.frame(TestMedia.frame("c", 0, 0.0, "blue"));
            awaitEncoded(h, 3);
            assertThat(h.narration.encodeBatches).containsExactly(3);
            assertThat(h.narration.preparedFrames.get()).isEqualTo(3);
            assertThat(h.metrics.count("narrator.vision.frames", "when", "ahead")).isEqualTo(3);
            h.frame(TestMedia.frame("a", 2, 1.0, "yellow")); // closes stream a's first window: its frame is cached
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=red");
            assertThat(h.narration.encodeBatches).as("nothing encoded twice").containsExactly(3);
            assertThat(h.metrics.count("narrator.vision.cache", "outcome", "hit")).isEqualTo(1);
        }
    }

    @Test
    void aKeptFrameWhosePixelsDoNotDecodeIsADeadLetterAtOnceAndTheOthersAreCaptioned() {
        try (TopologyHarness h = new TopologyHarness()) {
            byte[] png = TestMedia.png("blue");
            byte[] truncated = java.util.Arrays.copyOf(png, png.length / 2); // the header is whole: only the pixels are missing
            h.frame(TestMedia.frame("a", 0, 0.0, "red"));
            h.frame(TestMedia.frame("b", 0, 0, "PNG", TestMedia.W, TestMedia.H, truncated));
            io.narrator.avro.DeadLetter letter = h.deadLetters.readValue();
            assertThat(letter.getReason()).isEqualTo(DeadLetterReason.UNDECODABLE_IMAGE.name());
            assertThat(letter.getKey()).isEqualTo("b");
            assertThat(letter.getOriginTopic()).isEqualTo("narrator.frames");
            assertThat(letter.getOriginOffset()).isEqualTo(1L);
            h.frame(TestMedia.frame("a", 1, 1.0, "green"));
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=red");
            assertThat(h.narration.preparedFrames.get()).as("the bad frame never reached the engine").isEqualTo(2);
        }
    }

    @Test
    void aFailingVisionEncoderFailsTheClipsThatNeedItAndTheAppCarriesOn() {
        try (TopologyHarness h = new TopologyHarness(Map.of("vision.batch.wait.ms", "600000"))) {
            h.narration.failVision = new IllegalStateException("out of memory in the vision encoder");
            h.frames("cam", new double[] {0, 1}, "red", "green");
            List<Caption> failed = h.settle();
            assertThat(failed).hasSize(1);
            assertThat(failed.get(0).getText()).isEmpty();
            assertThat(failed.get(0).getError()).contains("vision encoder failed").contains("out of memory in the vision encoder");
            assertThat(h.metrics.count("narrator.clips.skipped", "reason", "failed")).isEqualTo(1);
            h.narration.failVision = null;
            h.frames("cam", new double[] {2}, "blue");
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=red,green");
        }
    }

    @Test
    void aRestartedTaskEncodesItsPendingClipsFromTheirStoredImages() throws Exception {
        FakeNarration narration = new FakeNarration();
        NarratorConfig config = NarratorConfig.of(Map.of("window.seconds", "2", "hop.seconds", "1"));
        // the committed state of a task that closed a window and died before its caption was published
        KeyValueStore<Bytes, PendingClip> pending = store(NarratorStores.PENDING, AvroSerde.of(PendingClip.class));
        KeyValueStore<Bytes, StoredFrame> frames = store(NarratorStores.FRAMES, AvroSerde.of(StoredFrame.class));
        KeyValueStore<String, WindowProgress> progress = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(NarratorStores.PROGRESS),
                Serdes.String(), AvroSerde.of(WindowProgress.class)).withLoggingDisabled().build();
        try (NarrationEngine engine = NarrationEngine.start(narration, NarrationEngine.Settings.from(config), NarratorMetrics.inMemory())) {
            MockProcessorContext<String, Object> context = new MockProcessorContext<>();
            context.setCurrentSystemTimeMs(1_000L);
            for (KeyValueStore<?, ?> s : List.of(pending, frames, progress)) {
                s.init(context.getStateStoreContext(), s);
                context.addStateStore(s);
            }
            List<StoredFrame> clipFrames = List.of(stored(0, "red"), stored(1_000_000, "green"));
            pending.put(StateKeys.of("cam", 0), new PendingClip("cam", 0L, 0L, 2_000_000L, clipFrames, null, System.currentTimeMillis()));
            new ClipWindowProcessor(engine, config, new PromptLibrary(narration, config), new AlertRules(narration, config)).init(context);
            assertThat(engine.awaitIdle(Duration.ofSeconds(30))).isTrue();
            context.scheduledPunctuators().get(0).getPunctuator().punctuate(0); // drain
            assertThat(context.forwarded()).extracting(f -> ((Caption) f.record().value()).getText()).containsExactly("frames=red,green");
            assertThat(narration.encodedFrames.get()).as("the new engine's cache was empty").isEqualTo(2);
        }
    }

    private static void awaitEncoded(TopologyHarness h, int frames) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (h.narration.encodedFrames.get() < frames) {
            if (System.nanoTime() > deadline) throw new AssertionError(h.narration.encodedFrames.get() + " of " + frames + " frames encoded after 30 s");
            Thread.sleep(5);
        }
    }

    private static StoredFrame stored(long micros, String colour) {
        return new StoredFrame(micros, micros / 1_000_000, new StoredImage("PNG", TestMedia.W, TestMedia.H, ByteBuffer.wrap(TestMedia.png(colour))),
                null, 0L, 0L);
    }

    private static <V> KeyValueStore<Bytes, V> store(String name, AvroSerde<?> serde) {
        @SuppressWarnings("unchecked")
        org.apache.kafka.common.serialization.Serde<V> s = (org.apache.kafka.common.serialization.Serde<V>) serde;
        return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.Bytes(), s).withLoggingDisabled().build();
    }
}
