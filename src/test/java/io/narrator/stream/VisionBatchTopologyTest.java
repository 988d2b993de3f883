package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/** Kept frames of many streams share vision-encoder batches; a frame waiting for its batch survives a restart. */
class VisionBatchTopologyTest {
    @Test
    void keptFramesOfSeveralStreamsAreEncodedTogetherWhenTheBatchIsFullOrTheWaitIsOver() {
        try (TopologyHarness h = new TopologyHarness(Map.of("vision.batch.max", "3", "vision.batch.wait.ms", "50"))) {
            h.frame(TestMedia.frame("a", 0, 0.0, "red"));
            h.frame(TestMedia.frame("b", 0, 0.0, "green"));
            assertThat(h.narration.encodeBatches).as("two frames wait for a third").isEmpty();
            h.frame(TestMedia.frame("c", 0, 0.0, "blue"));
            assertThat(h.narration.encodeBatches).containsExactly(3);
            h.frame(TestMedia.frame("a", 1, 0.5, "red")); // dropped by 1 FPS sampling: never waits, never encoded
            h.frame(TestMedia.frame("a", 2, 1.0, "yellow"));
            h.advance(Duration.ofMillis(49));
            assertThat(h.narration.encodeBatches).containsExactly(3);
            h.advance(Duration.ofMillis(1));
            assertThat(h.narration.encodeBatches).containsExactly(3, 1);
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=red");
            assertThat(h.metrics.count("narrator.frames.sampled")).isEqualTo(4);
        }
    }

    @Test
    void aKeptFrameWhosePixelsDoNotDecodeBecomesADeadLetterWhenItsBatchIsDecoded() {
        try (TopologyHarness h = new TopologyHarness(Map.of("vision.batch.max", "16", "vision.batch.wait.ms", "50"))) {
            byte[] png = TestMedia.png("blue");
            byte[] truncated = java.util.Arrays.copyOf(png, png.length / 2); // the header is whole: only the pixels are missing
            h.frame(TestMedia.frame("a", 0, 0.0, "red"));
            h.frame(TestMedia.frame("b", 0, 0, "PNG", TestMedia.W, TestMedia.H, truncated));
            assertThat(h.deadLetters.isEmpty()).as("the header passed: the frame waits for its batch").isTrue();
            h.advance(Duration.ofMillis(50));
            io.narrator.avro.DeadLetter letter = h.deadLetters.readValue();
            assertThat(letter.getReason()).isEqualTo(DeadLetterReason.UNDECODABLE_IMAGE.name());
            assertThat(letter.getKey()).isEqualTo("b");
            assertThat(letter.getOriginTopic()).isEqualTo("narrator.frames");
            assertThat(letter.getOriginOffset()).isEqualTo(1L);
            assertThat(letter.getPayloadSize()).isEqualTo(AvroSerde.of(io.narrator.avro.VideoFrame.class)
                    .encode(TestMedia.frame("b", 0, 0, "PNG", TestMedia.W, TestMedia.H, truncated)).length);
            assertThat(h.narration.encodeBatches).as("the good frame is encoded alone").containsExactly(1);
        }
    }

    @Test
    void aBatchOfOneEncodesEachFrameAsItArrives() {
        try (TopologyHarness h = new TopologyHarness(Map.of("vision.batch.max", "1"))) {
            h.frames("cam", new double[] {0, 1, 2}, "red", "green", "blue");
            assertThat(h.narration.encodeBatches).containsExactly(1, 1, 1);
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=red", "frames=red,green");
        }
    }

    @Test
    void framesWaitingForTheirBatchAtACommitAreEncodedByTheTaskThatTakesOver() {
        FakeNarration narration = new FakeNarration();
        NarratorConfig config = NarratorConfig.of(Map.of("vision.batch.max", "16", "vision.batch.wait.ms", "50"));
        try (NarrationEngine engine = NarrationEngine.start(narration, NarrationEngine.Settings.from(config), NarratorMetrics.inMemory())) {
            // the committed state stores, as a restarted task restores them from their changelogs
            List<KeyValueStore<?, ?>> stores = List.of(
                    store(NarratorStores.SAMPLING), store(NarratorStores.FEATURES), store(NarratorStores.UNENCODED));
            MockProcessorContext<String, Object> before = context(stores);
            FrameIntakeProcessor crashed = new FrameIntakeProcessor(engine, config);
            crashed.init(before);
            crashed.process(record(TestMedia.frame("cam", 0, 0.0, "red")));
            crashed.process(record(TestMedia.frame("cam", 1, 1.0, "green")));
            assertThat(narration.encodeBatches).as("both frames wait for company").isEmpty();
            // the task dies before its punctuator runs; another instance takes over the same (committed) stores
            MockProcessorContext<String, Object> after = context(stores);
            new FrameIntakeProcessor(engine, config).init(after);
            after.scheduledPunctuators().get(0).getPunctuator().punctuate(0);
            assertThat(narration.encodeBatches).containsExactly(2);
            assertThat(after.forwarded()).extracting(f -> ((SampledFrame) f.record().value()).timestampMicros())
                    .containsExactly(0L, 1_000_000L);
            KeyValueStore<Bytes, byte[]> unencoded = after.getStateStore(NarratorStores.UNENCODED);
            assertThat(unencoded.approximateNumEntries()).as("nothing waits any more").isZero();
            KeyValueStore<Bytes, ?> features = after.getStateStore(NarratorStores.FEATURES);
            assertThat(features.get(StateKeys.of("cam", 1_000_000L))).isNotNull();
        }
    }

    private static KeyValueStore<?, ?> store(String name) {
        return switch (name) {
            case NarratorStores.SAMPLING -> Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), Serdes.Long())
                    .withLoggingDisabled().build();
            case NarratorStores.FEATURES -> Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.Bytes(),
                    AvroSerde.of(io.narrator.avro.state.StoredFrame.class)).withLoggingDisabled().build();
            default -> Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.Bytes(), Serdes.ByteArray())
                    .withLoggingDisabled().build();
        };
    }

    private static MockProcessorContext<String, Object> context(List<KeyValueStore<?, ?>> stores) {
        MockProcessorContext<String, Object> context = new MockProcessorContext<>();
        context.setRecordMetadata("frames", 0, 0);
        for (KeyValueStore<?, ?> store : stores) {
            if (!store.isOpen()) store.init(context.getStateStoreContext(), store);
            context.addStateStore(store);
        }
        return context;
    }

    private static Record<String, byte[]> record(io.narrator.avro.VideoFrame frame) {
        return new Record<>(frame.getStreamId(), AvroSerde.of(io.narrator.avro.VideoFrame.class).encode(frame), 0L);
    }
}
