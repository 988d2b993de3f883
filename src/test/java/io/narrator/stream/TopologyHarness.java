package io.narrator.stream;

import io.narrator.avro.Alert;
import io.narrator.avro.AlertRule;
import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.VideoFrame;
import io.narrator.avro.VideoSegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * Narrator's topology in a TopologyTestDriver with the fake narration (or another model) and a real engine. The
 * engine's clock follows the driver's wall clock (plus an adjustable skew, to simulate overload).
 */
final class TopologyHarness implements AutoCloseable {
    static final Instant START = Instant.ofEpochMilli(1_700_000_000_000L);

    /** The fake narration, or null when the harness runs another model ({@link #model}). */
    final FakeNarration narration;
    /** The model the engine runs: the fake narration unless another was given (which the caller closes). */
    final Narration model;
    final NarratorMetrics metrics = NarratorMetrics.inMemory();
    final AtomicLong wallClock = new AtomicLong(START.toEpochMilli());
    final AtomicLong engineSkewMs = new AtomicLong();
    final NarratorConfig config;
    final Topics topics;
    final NarrationEngine engine;
    final TopologyTestDriver driver;
    final TestInputTopic<String, byte[]> frames;
    final TestInputTopic<String, byte[]> segments;
    final TestInputTopic<String, byte[]> prompts;
    final TestInputTopic<String, byte[]> alertRules;
    final TestOutputTopic<String, Caption> captions;
    final TestOutputTopic<String, DeadLetter> deadLetters;
    final TestOutputTopic<String, Alert> alerts;
    private final Path stateDir;
    private final boolean ownsStateDir;

    TopologyHarness(Map<String, String> overrides) {
        this(overrides, null);
    }

    /** A harness whose state lives in {@code stateDir} (kept on close, so that a second harness there restarts the topology), or a new directory if null. */
    TopologyHarness(Map<String, String> overrides, Path stateDir) {
        this(new FakeNarration(), overrides, stateDir);
    }

    /** A harness whose engine runs {@code model}, with its state in {@code stateDir} (a new directory if null). */
    TopologyHarness(Narration model, Map<String, String> overrides, Path stateDir) {
        this.model = model;
        this.narration = model instanceof FakeNarration fake ? fake : null;
        Map<String, String> settings = new HashMap<>(Map.of(
                "window.seconds", "2", "hop.seconds", "1", "idle.timeout.ms", "60000", "batch.wait.ms", "0",
                "topic.partitions", "1")); // the test driver's topics have one partition
        settings.putAll(overrides);
        config = NarratorConfig.of(settings);
        topics = Topics.from(config);
        engine = NarrationEngine.start(model, NarrationEngine.Settings.from(config), metrics,
                () -> wallClock.get() + engineSkewMs.get());
        Properties props = config.streamsProperties();
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        ownsStateDir = stateDir == null;
        try {
            Files.createDirectories(Path.of("target"));
            this.stateDir = stateDir != null ? stateDir : Files.createTempDirectory(Path.of("target"), "narrator-ttd");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        props.put(StreamsConfig.STATE_DIR_CONFIG, this.stateDir.toString());
        driver = new TopologyTestDriver(NarratorTopology.build(new StreamsBuilder(), engine, topics, config), props, START);
        frames = driver.createInputTopic(topics.frames().name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        segments = driver.createInputTopic(topics.segments().name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        prompts = driver.createInputTopic(topics.prompts().name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        alertRules = driver.createInputTopic(topics.alertRules().name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        captions = driver.createOutputTopic(topics.captions().name(), Serdes.String().deserializer(), topics.captions().valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(topics.deadLetters().name(), Serdes.String().deserializer(), topics.deadLetters().valueSerde().deserializer());
        alerts = driver.createOutputTopic(topics.alerts().name(), Serdes.String().deserializer(), topics.alerts().valueSerde().deserializer());
    }

    TopologyHarness() {
        this(Map.of());
    }

    void frame(VideoFrame frame) {
        frames.pipeInput(frame.getStreamId(), AvroSerde.of(VideoFrame.class).encode(frame));
    }

    /** Frames of one stream, one per entry, at the given seconds, each of the given colour. */
    void frames(String stream, double[] seconds, String... colours) {
        for (int i = 0; i < seconds.length; i++) frame(TestMedia.frame(stream, i, seconds[i], colours[i]));
    }

    void segment(VideoSegment segment) {
        segments.pipeInput(segment.getStreamId(), AvroSerde.of(VideoSegment.class).encode(segment));
    }

    /** Publishes a prompt (null: a tombstone) and waits until the narrator has validated it and put it in force or dead-lettered it. */
    void prompt(String key, NarrationPrompt prompt) {
        prompts.pipeInput(key, prompt == null ? null : AvroSerde.of(NarrationPrompt.class).encode(prompt));
        awaitPrompts();
    }

    /** Publishes an alert rule under {@code key} ({@code <scope>/<rule id>}; null: a tombstone); it is validated and in force (or a dead letter) on return. */
    void alertRule(String key, AlertRule rule) {
        alertRules.pipeInput(key, rule == null ? null : AvroSerde.of(AlertRule.class).encode(rule));
    }

    /**
     * Waits until no prompt waits for validation: the validator checks for outcomes from a wall-clock punctuator, so the
     * wall clock moves on by {@code drain.interval.ms} at a time while the prompt library validates.
     */
    void awaitPrompts() {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (metrics.promptsWaiting() > 0) {
            if (System.nanoTime() > deadline) throw new IllegalStateException(metrics.promptsWaiting() + " prompts still wait for validation after 30 s");
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            advance(Duration.ofMillis(config.drainIntervalMs()));
        }
    }

    /** Advances the wall clock of the driver and the engine together. */
    void advance(Duration d) {
        wallClock.addAndGet(d.toMillis());
        driver.advanceWallClockTime(d);
    }

    /** Waits for the engine to finish every submitted clip, lets the drain punctuator run, and returns the new captions. */
    List<Caption> settle() {
        try {
            if (!engine.awaitIdle(Duration.ofSeconds(30))) throw new IllegalStateException("engine did not finish its clips");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        advance(Duration.ofMillis(config.drainIntervalMs()));
        return captions.readValuesToList();
    }

    static List<String> texts(List<Caption> captions) {
        return captions.stream().map(Caption::getText).toList();
    }

    @Override
    public void close() {
        driver.close();
        engine.close();
        if (!ownsStateDir) return;
        try {
            org.apache.kafka.common.utils.Utils.delete(stateDir.toFile());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
