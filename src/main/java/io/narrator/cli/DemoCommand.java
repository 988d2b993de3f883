package io.narrator.cli;

import io.narrator.avro.Caption;
import io.narrator.ingest.EncodedFrame;
import io.narrator.ingest.EncodedSegment;
import io.narrator.ingest.IngestJob;
import io.narrator.ingest.IngestOptions;
import io.narrator.ingest.IngestSink;
import io.narrator.ingest.VideoSource;
import io.narrator.model.FlamingoModel;
import io.narrator.model.ModelDevice;
import io.narrator.stream.OutputSerde;
import io.narrator.stream.ClipWindows;
import io.narrator.stream.EmbeddedKafkaBroker;
import io.narrator.stream.FlamingoNarration;
import io.narrator.stream.KafkaIngestSink;
import io.narrator.stream.NarratorApp;
import io.narrator.stream.NarratorConfig;
import io.narrator.stream.Topics;
import io.narrator.train.world.CaptionGrammar;
import io.narrator.train.world.Episode;
import io.narrator.train.world.Scene;
import io.narrator.train.world.Task;
import io.narrator.train.world.WorldVideo;
import io.narrator.web.WebPage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code narrator demo}: the whole pipeline on one machine — an embedded broker, the narrator with the model,
 * and the ingest of a clip rendered by the synthetic world (or the user's video) — printing captions as they
 * arrive.
 */
@Command(name = "demo", header = "Narrate a synthetic clip end to end on an embedded broker.",
        mixinStandardHelpOptions = true, sortOptions = false,
        description = "Shows Narrator at work on its embedded defaults: starts a Kafka broker and the narrator in this process, renders a clip of the synthetic world the bundled model was trained on (or takes --video), ingests it, and prints each caption as it arrives: stream, time range in the clip, text and latency (window close to caption). For the synthetic clip, the ground truth of each window that shows one scene is printed under its caption. Exits when the clip has been narrated; --follow keeps the broker and narrator running until Ctrl-C.",
        footer = {"", "Examples:",
                "  narrator demo",
                "  narrator demo --seed 42 --seconds 16",
                "  narrator demo --video clip.mp4 --model runs/tiny/model",
                "  narrator demo --follow   # then elsewhere: narrator ingest VIDEO --stream-id cam-2 -b ADDRESS",
                "  narrator demo --follow --web-port 8080   # and watch on http://localhost:8080/"})
final class DemoCommand implements Callable<Integer> {
    /** The synthetic clip's frame rate and size: a small webcam. */
    static final double FPS = 15;
    static final int WIDTH = 320;
    static final int HEIGHT = 240;
    /** Stream id of the synthetic clip. */
    static final String WORLD_STREAM = "world";
    /** How long the narrator may take for the clip after it has been ingested. */
    private static final Duration NARRATION_TIMEOUT = Duration.ofMinutes(5);

    @Option(names = "--video", paramLabel = "FILE|URL", description = "Narrate this video instead of a synthetic clip.")
    String video;

    @Option(names = "--follow", description = "Keep the broker and narrator running after the clip, printing captions, until Ctrl-C.")
    boolean follow;

    @Mixin ModelOption model;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "7", description = "Seed of the synthetic clip's scenes (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "24",
            description = "Length of the synthetic clip: one scene per 8 s window (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--broker-port", paramLabel = "P", defaultValue = "0", description = "Port of the embedded broker (default: any free port).")
    int brokerPort;

    @Option(names = "--web-port", paramLabel = "P",
            description = "Serve the live web page (every stream's latest frame and captions as they arrive; docs/web.md) on this port while the demo runs (0 = any free port); add --follow to keep it up after the clip.")
    Integer webPort;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        long began = System.nanoTime();
        PrintWriter out = spec.commandLine().getOut();
        if (seconds < 1 || seconds > 3600) throw new IllegalArgumentException("--seconds must be in [1, 3600], got " + seconds);
        if (video != null) VideoSource.parse(video);
        if (brokerPort > 0) BrokerCommand.requireFree(brokerPort);
        WebCommand.checkPort(webPort);
        Path work = Files.createTempDirectory("narrator-demo");
        try (StopSignal stop = StopSignal.install()) {
            String location;
            String streamId;
            Episode episode = null;
            if (video == null) {
                Path clip = work.resolve("world.mp4");
                episode = new WorldVideo(seed, seconds, FPS, WIDTH, HEIGHT).write(clip);
                location = clip.toString();
                streamId = WORLD_STREAM;
                int scenes = episode.scenes().size();
                out.printf("rendered a %d s clip of the synthetic world (seed %d, %d scene%s, %dx%d at %.0f fps)%n", seconds, seed,
                        scenes, scenes == 1 ? "" : "s", WIDTH, HEIGHT, FPS);
            } else {
                location = video;
                streamId = CaptionCommand.defaultStreamId(VideoSource.parse(video));
            }
            try (FlamingoModel m = model.load();
                    FlamingoNarration narration = new FlamingoNarration(m);
                    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().port(brokerPort).start()) {
                out.printf("model %s %s on %s (%s); embedded Kafka broker on %s%n", narration.modelInfo().name(), narration.modelInfo().version(),
                        ModelDevice.describe(m.device()), m.dtype().label(), broker.bootstrapServers());
                NarratorConfig config = config(broker.bootstrapServers(), work);
                if (webPort != null) config = WebCommand.withPort(config, webPort);
                Main.quiet("org.apache.kafka.streams.processor.internals.StateDirectory"); // the demo's state lives in a temporary directory on purpose
                try (NarratorApp app = NarratorApp.create(config, narration); WebPage page = WebCommand.serveIfSet(config, app::health, out)) {
                    app.start();
                    if (!app.awaitRunning(Duration.ofMinutes(2))) throw new IllegalStateException("the narrator did not start within 2 minutes");
                    out.printf("narrator running; ingesting %s as stream %s%s%n%n", video == null ? "the clip" : location, streamId,
                            page == null ? "" : "; watch it on http://localhost:" + page.port() + "/");
                    out.flush();
                    Narrated result = narrate(config, app, location, streamId, episode, stop, out);
                    if (follow) out.printf("%nstopped after %d captions%n", result.captions());
                    else out.printf(Locale.ROOT, "%nnarrated %d clips in %.1f s (from start to the last caption)%n", result.captions(),
                            (System.nanoTime() - began) / 1e9);
                    out.flush();
                }
            }
        } finally {
            deleteTree(work);
        }
        return 0;
    }

    /** What the demo narrated: captions printed. */
    private record Narrated(long captions) {}

    private Narrated narrate(NarratorConfig config, NarratorApp app, String location, String streamId, Episode episode, StopSignal stop,
            PrintWriter out) {
        long windowMicros = config.windowSeconds() * 1_000_000L;
        long nowMicros = Instant.now().toEpochMilli() * 1000;
        // scenes line up with the stream's windows, which end at its phase after the multiples of the hop
        long startMicros = Math.floorDiv(nowMicros, windowMicros) * windowMicros + config.windowPhase().offsetMicros(streamId, config.hopSeconds());
        CaptionWriter writer = new CaptionWriter(out, CaptionFormat.TEXT, false);
        writer.origin(streamId, startMicros);
        AtomicLong expected = new AtomicLong(-1);
        WindowCounter counter = new WindowCounter(config, streamId);
        IngestJob job = IngestJob.builder()
                .setSource(VideoSource.parse(location))
                .setOptions(IngestOptions.builder().setStreamId(streamId).optFps(config.sampleFps()).optStartTime(Instant.ofEpochSecond(0, startMicros * 1000)).build())
                .setSink(counter)
                .build();
        stop.onStop(job::stop);
        CompletableFuture<Void> ingest = CompletableFuture.runAsync(() -> {
            try (KafkaIngestSink sink = KafkaIngestSink.create(config)) {
                counter.delegate = sink;
                job.run();
                sink.flush();
                expected.set(counter.windows());
            }
        });
        Set<Long> narrated = new HashSet<>();
        long others = 0;
        long deadline = Long.MAX_VALUE;
        Topics topics = Topics.from(config);
        try (KafkaConsumer<String, byte[]> consumer = Consumers.of(config, topics.captions().name(), true, Duration.ofMinutes(1))) {
            stop.onStop(consumer::wakeup);
            OutputSerde<Caption> serde = topics.captionSerde();
            while (!stop.isStopped()) {
                if (ingest.isDone()) {
                    try {
                        ingest.join();
                    } catch (CompletionException e) {
                        throw e.getCause() instanceof RuntimeException r ? r : e;
                    }
                    if (deadline == Long.MAX_VALUE) deadline = System.nanoTime() + NARRATION_TIMEOUT.toNanos();
                    if (!follow && narrated.size() >= expected.get()) break;
                    if (!follow && System.nanoTime() > deadline)
                        throw new IllegalStateException("the narrator made " + narrated.size() + " of " + expected.get() + " captions within "
                                + NARRATION_TIMEOUT.toMinutes() + " minutes of the ingest");
                }
                if (app.failure() != null) throw new IllegalStateException("the narrator failed: " + KafkaOptions.rootMessage(app.failure()));
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    Caption caption = serde.decode(r.value());
                    writer.write(caption);
                    if (caption.getStreamId().equals(streamId)) {
                        narrated.add(caption.getClipIndex());
                        if (episode != null) truth(episode, caption, startMicros).ifPresent(t -> out.println("      truth: " + t));
                    } else {
                        others++;
                    }
                }
                if (follow && ingest.isDone() && narrated.size() >= expected.get() && expected.get() >= 0) {
                    out.printf("%nthe clip is narrated; still running. Ingest more with%n  narrator ingest VIDEO --stream-id cam-2 --bootstrap-servers %s%n"
                            + "and watch here. Ctrl-C to stop.%n%n", config.bootstrapServers());
                    out.flush();
                    expected.set(Long.MAX_VALUE);
                }
            }
        } catch (org.apache.kafka.common.errors.WakeupException stopped) {
            // Ctrl-C
        } catch (org.apache.kafka.common.errors.InterruptException interrupted) {
            Thread.interrupted(); // an interrupt of this thread is a stop too (how tests and embedders end --follow)
        } finally {
            job.stop();
        }
        return new Narrated(narrated.size() + others);
    }

    /** The ground truth of a caption's window when it shows one scene of the episode. */
    static Optional<String> truth(Episode episode, Caption caption, long startMicros) {
        long from = Math.max(0, caption.getWindowStartMicros() - startMicros);
        long to = Math.min(episode.durationMicros(), caption.getWindowEndMicros() - startMicros);
        if (from >= to) return Optional.empty();
        return episode.truth(from, to).map((Scene s) -> CaptionGrammar.canonical(s, Task.CAPTION));
    }

    private static NarratorConfig config(String bootstrap, Path work) {
        Map<String, String> p = new HashMap<>();
        p.put("bootstrap.servers", bootstrap);
        p.put("application.id", "narrator-demo");
        p.put("state.dir", work.resolve("state").toString());
        p.put("topic.partitions", "1");
        p.put("num.stream.threads", "1");
        p.put("commit.interval.ms", "100");
        p.put("idle.timeout.ms", "1000");
        p.put("max.lag.ms", String.valueOf(Duration.ofHours(1).toMillis())); // the clip is ingested faster than real time: narrate every window
        return NarratorConfig.of(p);
    }

    /** Passes frames on to Kafka and counts the clip windows they make, as the narrator will close them. */
    private static final class WindowCounter implements IngestSink {
        private final ClipWindows<Long> windows;
        private long closed;
        volatile IngestSink delegate;

        WindowCounter(NarratorConfig config, String streamId) {
            windows = config.clipWindows(streamId, Integer.MAX_VALUE);
        }

        @Override
        public void onFrame(EncodedFrame frame) {
            delegate.onFrame(frame);
            closed += windows.add(frame.timestampMicros(), frame.sequence()).size();
        }

        @Override
        public void onSegment(EncodedSegment segment) {
            throw new IllegalStateException("the demo ingests frames");
        }

        /** Every window the frames so far make, the last partial one included (the narrator flushes it when the stream goes idle). */
        long windows() {
            return closed + windows.flush().map(c -> 1).orElse(0);
        }

        @Override
        public void close() {}
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temporary directory; the OS cleans it eventually
        }
    }
}
