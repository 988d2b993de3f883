package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link NarratorApp#health()} before Kafka Streams starts (no broker needed): what makes an instance not ready, or not live. */
class NarratorAppTest {

    @Test
    void notReadyBeforeItRunsAndNotLiveWhileABatchIsStuckLongerThanTheClipTimeout() throws Exception {
        NarratorConfig config = NarratorConfig.of(Map.of("bootstrap.servers", "localhost:1", "max.lag.ms", "1000", "clip.timeout.ms", "5000"));
        FakeNarration narration = new FakeNarration();
        narration.hold = batch -> true; // the batch waits inside the model until released
        AtomicLong clock = new AtomicLong(1_700_000_000_000L);
        try (NarrationEngine engine = NarrationEngine.start(narration, NarrationEngine.Settings.from(config), NarratorMetrics.inMemory(), clock::get);
                NarratorApp app = NarratorApp.create(config, engine)) {
            assertThat(app.health()).isEqualTo(Health.notReady("Kafka Streams is CREATED"));
            CompletionQueue queue = new CompletionQueue();
            java.awt.image.BufferedImage red = TestMedia.solid("red", 8, 8);
            io.narrator.avro.state.StoredFrame frame = new io.narrator.avro.state.StoredFrame(0L, 0L, null,
                    java.nio.ByteBuffer.wrap(narration.encodeFrames(List.of(red)).get(0)), 0L, 0L);
            engine.submit(new NarrationJob("cam", 0, List.of(frame), new NarrationJob.Prompt(null, null, null, null), clock.get(), queue));
            assertThat(narration.held.await(30, TimeUnit.SECONDS)).isTrue();
            clock.addAndGet(5000);
            assertThat(app.health().live()).as("stuck exactly clip.timeout.ms").isTrue();
            clock.addAndGet(1);
            assertThat(app.health()).isEqualTo(Health.dead("a narration batch has been running for 5001 ms, longer than clip.timeout.ms=5000"));
            narration.release.countDown();
            assertThat(engine.awaitIdle(Duration.ofSeconds(30))).isTrue();
            assertThat(app.health()).isEqualTo(Health.notReady("Kafka Streams is CREATED"));
        }
    }

    @Test
    void aRegistryThatRefusesTheOutputSchemaStopsStartUpBeforeKafkaIsAsked() {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            registry.register("narrator.captions-value", new org.apache.avro.Schema.Parser().parse(
                    "{\"type\":\"record\",\"name\":\"Caption\",\"namespace\":\"io.narrator.avro\",\"fields\":[{\"name\":\"streamId\",\"type\":\"int\"}]}"));
            NarratorConfig config = NarratorConfig.of(Map.of("bootstrap.servers", "localhost:1", "captions.format", "registry",
                    "schema.registry.url", registry.url()));
            try (NarratorApp app = NarratorApp.create(config, new FakeNarration())) {
                org.assertj.core.api.Assertions.assertThatThrownBy(app::start).isInstanceOf(SchemaRegistryClient.SchemaRegistryException.class)
                        .hasMessageStartingWith("cannot register schema io.narrator.avro.Caption under subject narrator.captions-value: the schema registry at "
                                + registry.url() + " answered POST /subjects/narrator.captions-value/versions with HTTP 409 (error 409)");
                assertThat(app.state()).as("Kafka Streams was not started").isEqualTo(org.apache.kafka.streams.KafkaStreams.State.CREATED);
            }
        }
    }
}
