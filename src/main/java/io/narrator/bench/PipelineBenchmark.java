package io.narrator.bench;

import io.narrator.avro.Caption;
import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.PromptExample;
import io.narrator.ingest.FpsSampler;
import io.narrator.stream.AvroSerde;
import io.narrator.stream.ClipNarration;
import io.narrator.stream.ClipRequest;
import io.narrator.stream.ClipWindows;
import io.narrator.stream.WindowRule;
import io.narrator.stream.EmbeddedKafkaBroker;
import io.narrator.stream.Narration;
import io.narrator.stream.NarratorApp;
import io.narrator.stream.NarratorConfig;
import io.narrator.stream.PromptLibrary;
import io.narrator.stream.Topics;
import io.narrator.train.world.CaptionGrammar;
import io.narrator.train.world.FrameRenderer;
import io.narrator.train.world.Scene;
import io.narrator.train.world.Task;
import io.narrator.train.world.World;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code narrator bench pipeline}: synthetic live streams, pre-rendered to JPEG, sent in real time through an
 * embedded broker into the whole {@link NarratorApp} running a real model, with captions read back by a
 * {@code read_committed} consumer (see {@link PipelineResult} for what is measured). One benchmark holds one
 * broker and the rendered streams; each {@link #run} starts a fresh application on fresh topics, so runs at
 * several stream counts ({@code --sweep}) do not disturb each other. {@link #overhead} compares the pipeline
 * with the model alone on the same clips.
 */
public final class PipelineBenchmark implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineBenchmark.class);
    /** Narrator's latency target: p99 window close to caption, in milliseconds. */
    public static final double TARGET_P99_MS = 1500;
    /** Longest loop of pre-rendered video; longer runs wrap around. */
    static final double MAX_LOOP_SECONDS = 32;
    /** Most few-shot examples a benchmark prompt may have. */
    static final int MAX_SHOTS = 8;

    /**
     * What to run.
     *
     * @param streams concurrent streams (the largest count when sweeping)
     * @param fps frames per second each stream sends
     * @param width frame width in pixels
     * @param height frame height in pixels
     * @param seconds seconds of video each stream sends per run
     * @param warmupSeconds windows ending in the first {@code warmupSeconds} are left out of the latencies
     * @param settings Narrator configuration keys and Kafka properties on top of Narrator's defaults (e.g.
     *     {@code batch.max}, {@code num.stream.threads}); names, state directory and broker are the benchmark's
     * @param drainTimeout how long to wait for the last captions after the streams stop
     * @param shots few-shot examples in a default prompt for every stream (images of the synthetic world with their
     *     captions), 0 for none
     */
    public record Options(int streams, double fps, int width, int height, double seconds, double warmupSeconds, Map<String, String> settings,
            Duration drainTimeout, int shots) {
        public Options {
            if (shots < 0 || shots > MAX_SHOTS) throw new IllegalArgumentException("--shots must be in [0, " + MAX_SHOTS + "], got " + shots);
            if (streams < 1 || streams > 10_000) throw new IllegalArgumentException("--streams must be in [1, 10000], got " + streams);
            if (!(fps > 0 && fps <= 120)) throw new IllegalArgumentException("--fps must be in (0, 120], got " + fps);
            if (width < FrameRenderer.MIN_SIDE || height < FrameRenderer.MIN_SIDE || width > FrameRenderer.MAX_SIDE || height > FrameRenderer.MAX_SIDE)
                throw new IllegalArgumentException("--size must be between " + FrameRenderer.MIN_SIDE + "x" + FrameRenderer.MIN_SIDE + " and "
                        + FrameRenderer.MAX_SIDE + "x" + FrameRenderer.MAX_SIDE + ", got " + width + "x" + height);
            if (!(seconds > 0 && seconds <= 3600)) throw new IllegalArgumentException("--seconds must be in (0, 3600], got " + seconds);
            if (!(warmupSeconds >= 0 && warmupSeconds < seconds))
                throw new IllegalArgumentException("--warmup must be at least 0 and less than --seconds (" + seconds + "), got " + warmupSeconds);
            settings = PipelineResult.ordered(settings == null ? Map.of() : settings);
            for (String reserved : List.of("bootstrap.servers", "application.id", "topic.prefix", "state.dir"))
                if (settings.containsKey(reserved))
                    throw new IllegalArgumentException("--set " + reserved + " is not allowed: the benchmark chooses it for each run");
            if (drainTimeout == null || drainTimeout.isNegative() || drainTimeout.isZero())
                throw new IllegalArgumentException("the drain timeout must be positive, got " + drainTimeout);
        }
    }

    private final Options options;
    private final Narration narration;
    private final EmbeddedKafkaBroker broker;
    private final SyntheticStreams source;
    private final NarratorConfig baseConfig;
    private final Path work;
    /** The default prompt every run publishes (Avro {@code NarrationPrompt}), or null without examples. */
    private final byte[] prompt;
    private int runs;

    private PipelineBenchmark(Options options, Narration narration, EmbeddedKafkaBroker broker, SyntheticStreams source, NarratorConfig base,
            Path work) {
        this.prompt = options.shots() == 0 ? null : fewShotPrompt(options.shots(), options.width(), options.height());
        this.options = options;
        this.narration = narration;
        this.broker = broker;
        this.source = source;
        this.baseConfig = base;
        this.work = work;
    }

    /**
     * Checks the configuration, renders the streams, starts an embedded broker and warms the model up.
     * {@code narration} stays open when the benchmark closes.
     *
     * @throws IllegalArgumentException when the settings are not a valid configuration for this model
     */
    public static PipelineBenchmark start(Options options, Narration narration) throws IOException {
        Map<String, String> p = new LinkedHashMap<>();
        // the last partial window of a stream must not be flushed by the idle timeout while the benchmark waits for captions
        p.put("idle.timeout.ms", String.valueOf(Duration.ofHours(1).toMillis()));
        p.putAll(options.settings());
        NarratorConfig base = NarratorConfig.of(p);
        int maxFrames = narration.modelInfo().maxFrames();
        int perWindow = (int) Math.ceil(base.windowSeconds() * base.sampleFps() - 1e-9);
        if (perWindow > maxFrames)
            throw new IllegalArgumentException("window.seconds=" + base.windowSeconds() + " makes clips of " + perWindow + " frames, but model "
                    + narration.modelInfo().name() + " takes at most " + maxFrames);
        LOG.info("rendering {} streams of {}x{} at {} fps", options.streams(), options.width(), options.height(), options.fps());
        SyntheticStreams source = SyntheticStreams.render(options.streams(), options.fps(), options.width(), options.height(),
                Math.min(MAX_LOOP_SECONDS, Math.max(1, Math.ceil(options.seconds()))), 42);
        Path work = Files.createTempDirectory("narrator-bench");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(work.resolve("kafka")).start();
        PipelineBenchmark bench = new PipelineBenchmark(options, narration, broker, source, base, work);
        try {
            bench.warmUp();
        } catch (RuntimeException e) {
            bench.close();
            throw e;
        }
        return bench;
    }

    /** The configuration every run starts from. */
    public NarratorConfig baseConfig() {
        return baseConfig;
    }

    /** Mean size of a sent frame in bytes. */
    public double meanFrameBytes() {
        return source.meanFrameBytes();
    }

    /** Runs the model on a few clips so that the first windows of a run do not pay for JIT compilation and native set-up. */
    private void warmUp() {
        List<byte[]> features = new ArrayList<>();
        int frames = Math.min(narration.modelInfo().maxFrames(), PromptLibrary.framesPerWindow(baseConfig.windowSeconds(), baseConfig.sampleFps()));
        for (int k = 0; k < frames; k++)
            features.add(narration.encodeFrames(List.of(decode(source.frame(0, Math.round(k * source.fps()))))).get(0));
        List<ClipRequest> clips = new ArrayList<>();
        for (int i = 0; i < baseConfig.batchMax(); i++)
            clips.add(new ClipRequest("warm-up-" + i, features, List.of(), null, baseConfig.generation()));
        for (int i = 0; i < 2; i++) narration.narrate(clips);
    }

    /**
     * A prompt of {@code shots} examples, each a frame of another scene of the synthetic world (JPEG, at the streams'
     * size) with its caption: the same task as the default captions, with examples in front.
     */
    static byte[] fewShotPrompt(int shots, int width, int height) {
        List<PromptExample> examples = new ArrayList<>();
        FrameRenderer renderer = new FrameRenderer(width, height);
        for (int i = 0; i < shots; i++) {
            Scene scene = World.DEFAULT.scene(7_000 + i, EXAMPLE_MICROS);
            ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
            try {
                if (!ImageIO.write(renderer.render(scene, visibleMoment(scene)), "jpg", jpeg)) throw new IllegalStateException("no JPEG writer");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            examples.add(new PromptExample("JPEG", ByteBuffer.wrap(jpeg.toByteArray()), CaptionGrammar.canonical(scene, Task.CAPTION)));
        }
        return AvroSerde.of(NarrationPrompt.class).encode(NarrationPrompt.newBuilder().setExamples(examples).build());
    }

    private static final long EXAMPLE_MICROS = 8_000_000L;

    /** The middle of an example scene, or the moment nearest to it (in quarter seconds) at which its objects are visible. */
    private static long visibleMoment(Scene scene) {
        long middle = EXAMPLE_MICROS / 2;
        for (long d = 0; d <= middle; d += 250_000L) {
            if (scene.visibleAt(middle - d)) return middle - d;
            if (middle + d < EXAMPLE_MICROS && scene.visibleAt(middle + d)) return middle + d;
        }
        return middle;
    }

    /** Streams {@code streams} live streams for {@link Options#seconds()} through a fresh application. */
    public PipelineResult run(int streams) throws IOException, InterruptedException {
        checkStreams(streams);
        return measure(streams, config(streams, Map.of()), true, options.seconds()).result();
    }

    /**
     * A run whose figures are thrown away: the JVM compiles the hot paths of Kafka, Avro and the model in its first
     * minutes, which a long-running narrator has long finished. The compiler threads take CPU from everything else
     * meanwhile, so measured runs come after this one.
     */
    public void prewarm(int streams, double seconds) throws IOException, InterruptedException {
        checkStreams(streams);
        if (!(seconds > 0)) throw new IllegalArgumentException("--prewarm must be positive, got " + seconds);
        LOG.info("pre-warming the JVM: {} streams for {} s", streams, seconds);
        measure(streams, config(streams, Map.of()), true, seconds);
    }

    private void checkStreams(int streams) {
        if (streams < 1 || streams > source.streams())
            throw new IllegalArgumentException("stream count " + streams + " is outside [1, " + source.streams() + "] (the rendered streams)");
    }

    /**
     * The same clips through the pipeline (sent unpaced, as fast as the pipeline takes them) and through the
     * model alone: {@code streams} streams of {@link Options#seconds()} each.
     */
    public OverheadResult overhead(int streams) throws IOException, InterruptedException {
        checkStreams(streams);
        NarratorConfig config = config(streams, Map.of(
                "max.lag.ms", String.valueOf(Duration.ofDays(1).toMillis()), // an unpaced run builds a backlog: narrate every clip anyway
                "queue.capacity", String.valueOf(1 << 20)));
        Measured pipeline = measure(streams, config, false, options.seconds());

        FpsSampler sampler = config.sampler();
        int maxFrames = narration.modelInfo().maxFrames();
        long ticks = Math.max(1, (long) Math.floor(options.seconds() * source.fps()));
        long visionNanos = 0;
        List<StreamClip> clips = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            ClipWindows<byte[]> windows = config.clipWindows(SyntheticStreams.streamId(s), maxFrames);
            long last = FpsSampler.NONE;
            for (long k = 0; k < ticks; k++) {
                long t = pipeline.sent().firstMicros() + Math.round(k * 1_000_000d / source.fps());
                if (sampler.decide(last, t) != FpsSampler.Decision.KEEP) continue;
                last = t;
                BufferedImage image = decode(source.frame(s, k));
                long t0 = System.nanoTime();
                byte[] features = narration.encodeFrames(List.of(image)).get(0);
                visionNanos += System.nanoTime() - t0;
                for (ClipWindows.Clip<byte[]> clip : windows.add(t, features)) clips.add(new StreamClip(s, clip));
            }
        }
        clips.sort(Comparator.comparingLong((StreamClip c) -> c.clip().endMicros()).thenComparingInt(StreamClip::stream));
        long narrateNanos = 0;
        int batch = config.batchMax();
        for (int i = 0; i < clips.size(); i += batch) {
            List<ClipRequest> requests = clips.subList(i, Math.min(clips.size(), i + batch)).stream()
                    .map(c -> new ClipRequest(SyntheticStreams.streamId(c.stream()), c.clip().frames(), List.of(), null, config.generation()))
                    .toList();
            long t0 = System.nanoTime();
            List<ClipNarration> results = narration.narrate(requests);
            narrateNanos += System.nanoTime() - t0;
            for (ClipNarration r : results)
                if (!r.ok()) throw new IllegalStateException("the model alone failed on a clip: " + r.error());
        }
        PipelineResult p = pipeline.result();
        if (clips.size() != p.expectedCaptions())
            LOG.warn("the model alone made {} clips, the pipeline's windows {}", clips.size(), p.expectedCaptions());
        double pipelineSeconds = pipeline.measuredSeconds();
        double pipelineRate = p.expectedCaptions() / pipelineSeconds;
        double modelSeconds = (visionNanos + narrateNanos) / 1e9;
        double modelRate = clips.size() / modelSeconds;
        return new OverheadResult(streams, options.seconds(), clips.size(), p.captions(), p.errors(), pipelineSeconds, pipelineRate,
                visionNanos / 1e9, narrateNanos / 1e9, modelRate, pipelineRate / modelRate, p);
    }

    private record StreamClip(int stream, ClipWindows.Clip<byte[]> clip) {}

    /** A run's result plus the figures {@link #overhead} needs. */
    private record Measured(PipelineResult result, FrameSender.Report sent, double measuredSeconds) {}

    private NarratorConfig config(int streams, Map<String, String> extra) throws IOException {
        String name = "bench-" + (++runs) + "-" + streams;
        Map<String, String> p = new LinkedHashMap<>(baseConfig.properties());
        p.putAll(extra);
        p.put("bootstrap.servers", broker.bootstrapServers());
        p.put("application.id", name);
        p.put("topic.prefix", name + ".");
        p.put("state.dir", Files.createDirectories(work.resolve(name)).toString());
        return NarratorConfig.of(p);
    }

    private Measured measure(int streams, NarratorConfig config, boolean paced, double seconds) throws IOException, InterruptedException {
        Topics topics = Topics.from(config);
        TimedNarration timed = new TimedNarration(narration);
        LOG.info("run {}: {} streams, {} s, {}", config.applicationId(), streams, seconds, paced ? "paced" : "unpaced");
        try (NarratorApp app = NarratorApp.create(config, timed)) {
            app.start();
            if (!app.awaitRunning(Duration.ofMinutes(2))) throw new IllegalStateException("the narrator did not start within 2 minutes");
            try (Admin admin = Admin.create(config.clientProperties());
                    CaptionCollector collector = new CaptionCollector(broker.bootstrapServers(), topics.captions().name());
                    FrameSender sender = new FrameSender(broker.bootstrapServers(), topics, source, streams);
                    ResourceMonitor monitor = new ResourceMonitor(500, () -> backlog(admin, config, topics))) {
                if (prompt != null) {
                    sender.prompt(config.defaultPromptKey(), prompt);
                    awaitPromptInForce(config, topics);
                }
                ResourceMonitor.Mark start = monitor.markNow();
                TimedNarration.Totals calls0 = timed.totals();
                long startMillis = System.currentTimeMillis();
                if (paced && options.warmupSeconds() > 0) monitor.markAt(startMillis + Math.round(options.warmupSeconds() * 1000));
                long base = (startMillis / 3_600_000 - 1) * 3_600_000_000L; // unpaced: event times from a whole hour in the past
                FrameSender.Report sent = onThread(FrameSender.THREAD, () -> paced ? sender.paced(seconds) : sender.unpaced(seconds, base));
                List<List<Long>> ends = expectedEnds(config, sent, streams);
                long expected = ends.stream().mapToLong(List::size).sum();
                boolean complete = collector.await(got -> got.size() >= expected && distinctWindows(got, ends) >= expected,
                        options.drainTimeout());
                if (!complete) LOG.warn("run {}: not every window was captioned within {}", config.applicationId(), options.drainTimeout());
                ResourceMonitor.Mark end = monitor.markNow();
                TimedNarration.Totals calls1 = timed.totals();
                // CPU is counted from the end of the warm-up (when the run got that far), so that JIT compilation is left out
                ResourceMonitor.Mark from = monitor.mark() != null ? monitor.mark() : start;
                Map<String, Long> threads = ThreadCpu.minus(end.threads(), from.threads());
                // the sender's thread has ended, so the end counters lack it: add all its time (the mark, if any, subtracted its share)
                threads.merge(ThreadCpu.LOAD, sent.cpuNanos(), Long::sum);
                List<CaptionCollector.Received> received = collector.received();
                long lastReceived = received.stream().mapToLong(CaptionCollector.Received::receivedAtMillis).max().orElse(System.currentTimeMillis());
                long elapsedMillis = (end.wallNanos() - start.wallNanos()) / 1_000_000;
                double measuredSeconds = Math.max(1e-3, (Math.min(lastReceived, startMillis + elapsedMillis) - startMillis) / 1000.0);
                PipelineResult result = summarise(streams, config, ends, received, sent, monitor.samples(), threads,
                        end.processCpuNanos() - from.processCpuNanos(), (end.wallNanos() - from.wallNanos()) / 1e9, measuredSeconds,
                        calls1.minus(calls0));
                return new Measured(result, sent, measuredSeconds);
            }
        } finally {
            deleteTopics(config, topics);
        }
    }

    /**
     * Waits until the narrator has validated the benchmark's prompt (its entry is in the prompt table), then a second
     * more for its global store thread to load it, so that the first windows are narrated with it.
     */
    private static void awaitPromptInForce(NarratorConfig config, Topics topics) throws InterruptedException {
        Properties p = config.clientProperties();
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topics.promptTable().name()).stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline)
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100)))
                    if (config.defaultPromptKey().equals(r.key()) && r.value() != null) {
                        Thread.sleep(1000);
                        return;
                    }
        }
        throw new IllegalStateException("the narrator did not put the benchmark's prompt in force within 60 s (see its dead-letter topic)");
    }

    /**
     * The window ends each stream's captions are expected for, per stream: every window that closes between the first
     * and the last frame sent (the streams' windows end at their own phases, see {@link io.narrator.stream.WindowPhase}).
     */
    private static List<List<Long>> expectedEnds(NarratorConfig config, FrameSender.Report sent, int streams) {
        long hop = config.hopSeconds() * 1_000_000L;
        List<List<Long>> ends = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            long phase = config.windowPhase().offsetMicros(SyntheticStreams.streamId(s), config.hopSeconds());
            List<Long> stream = new ArrayList<>();
            long last = WindowRule.endAtOrBefore(sent.lastMicros(), hop, phase);
            for (long end = WindowRule.endAfter(sent.firstMicros(), hop, phase); end <= last; end += hop) stream.add(end);
            ends.add(stream);
        }
        return ends;
    }

    /** How many of the expected windows have a caption. */
    private static long distinctWindows(List<CaptionCollector.Received> got, List<List<Long>> ends) {
        Set<String> seen = new java.util.HashSet<>();
        for (CaptionCollector.Received r : got) seen.add(r.caption().getStreamId() + "@" + r.caption().getWindowEndMicros());
        long found = 0;
        for (int s = 0; s < ends.size(); s++)
            for (long end : ends.get(s)) if (seen.contains(SyntheticStreams.streamId(s) + "@" + end)) found++;
        return found;
    }

    private PipelineResult summarise(int streams, NarratorConfig config, List<List<Long>> ends, List<CaptionCollector.Received> received,
            FrameSender.Report sent, List<ResourceMonitor.Sample> samples, Map<String, Long> threadNanos, long processNanos, double wallSeconds,
            double measuredSeconds, TimedNarration.Totals calls) {
        Map<String, CaptionCollector.Received> byWindow = new HashMap<>();
        long duplicates = 0;
        for (CaptionCollector.Received r : received) {
            if (byWindow.putIfAbsent(r.caption().getStreamId() + "@" + r.caption().getWindowEndMicros(), r) != null) duplicates++;
        }
        long warmEnd = sent.firstMicros() + Math.round(options.warmupSeconds() * 1_000_000);
        long missing = 0;
        long errors = 0;
        long ok = 0;
        long prompted = 0;
        long maxQueue = 0;
        Set<String> errorSamples = new LinkedHashSet<>();
        List<Double> e2e = new ArrayList<>();
        List<Double> app = new ArrayList<>();
        double queueSum = 0;
        double decodeSum = 0;
        double visionSum = 0;
        long frames = 0;
        for (int s = 0; s < streams; s++) {
            for (long end : ends.get(s)) {
                CaptionCollector.Received r = byWindow.get(SyntheticStreams.streamId(s) + "@" + end);
                if (r == null) {
                    missing++;
                    continue;
                }
                Caption c = r.caption();
                if (c.getError() != null) {
                    errors++;
                    if (errorSamples.size() < 5) errorSamples.add(c.getError());
                    continue;
                }
                ok++;
                if (c.getPromptVersion() != null) prompted++;
                if (end < warmEnd) continue;
                e2e.add((double) (r.receivedAtMillis() - end / 1000));
                app.add((double) c.getLatency().getTotalMs());
                maxQueue = Math.max(maxQueue, c.getLatency().getQueueMs());
                queueSum += c.getLatency().getQueueMs();
                decodeSum += c.getLatency().getDecodeMs();
                visionSum += c.getLatency().getVisionMs();
                frames += c.getFrameTimestamps().size();
            }
        }
        long measuredStart = sent.startedAtMillis() + Math.round(options.warmupSeconds() * 1000);
        long maxBacklog = samples.stream().filter(x -> x.atMillis() >= measuredStart).mapToLong(ResourceMonitor.Sample::backlogFrames).max().orElse(0);
        double hopSeconds = config.hopSeconds();
        boolean keptUp = missing == 0 && errors == 0 && maxBacklog <= streams * source.fps() * hopSeconds && maxQueue <= hopSeconds * 1000;

        Map<String, Double> cpuSeconds = new LinkedHashMap<>();
        long jvmThreads = 0;
        for (Map.Entry<String, Long> e : threadNanos.entrySet()) {
            cpuSeconds.put(e.getKey(), e.getValue() / 1e9);
            jvmThreads += e.getValue();
        }
        cpuSeconds.put("native and GC", Math.max(0, processNanos - jvmThreads) / 1e9);
        Map<String, Double> share = new LinkedHashMap<>();
        double total = processNanos / 1e9;
        cpuSeconds.forEach((k, v) -> share.put(k, total > 0 ? v / total : 0));
        int measured = e2e.size();
        PipelineResult.Breakdown breakdown = new PipelineResult.Breakdown(
                measured == 0 ? Double.NaN : queueSum / measured,
                frames == 0 ? Double.NaN : decodeSum / frames,
                perCall(calls.encodeNanos(), calls.encodedFrames()), perCall(calls.encodeCpuNanos(), calls.encodedFrames()),
                calls.encodeCalls() == 0 ? Double.NaN : (double) calls.encodedFrames() / calls.encodeCalls(), calls.encodedFrames(),
                perCall(calls.narrateNanos(), calls.narrateCalls()), perCall(calls.narrateCpuNanos(), calls.narrateCalls()),
                calls.narrateCalls() == 0 ? Double.NaN : (double) calls.narratedClips() / calls.narrateCalls(),
                cpuSeconds, share);
        PipelineResult.Resources resources = new PipelineResult.Resources(
                total / wallSeconds,
                samples.stream().mapToDouble(ResourceMonitor.Sample::cpuCores).max().orElse(Double.NaN),
                Runtime.getRuntime().availableProcessors(),
                samples.stream().mapToLong(ResourceMonitor.Sample::heapUsedBytes).max().orElse(0) / (1024.0 * 1024.0),
                samples.stream().mapToLong(ResourceMonitor.Sample::rssBytes).max().orElse(-1) / (1024.0 * 1024.0));
        Map<String, String> settings = new LinkedHashMap<>();
        for (String key : List.of("window.seconds", "hop.seconds", "window.phase", "batch.max", "batch.wait.ms", "vision.batch.max", "vision.batch.wait.ms", "vision.cache.frames", "queue.capacity", "max.lag.ms",
                "generation.beams", "generation.max.tokens", "topic.partitions", "num.stream.threads", "processing.guarantee", "commit.interval.ms"))
            if (config.properties().containsKey(key)) settings.put(key, config.properties().get(key));
        settings.putAll(options.settings());
        return new PipelineResult(streams, source.fps(), source.width(), source.height(), options.seconds(), options.warmupSeconds(),
                config.windowSeconds(), config.hopSeconds(), settings, keptUp, ends.stream().mapToLong(List::size).sum(), ok, missing, errors, duplicates,
                LatencySummary.of(e2e.stream().mapToDouble(Double::doubleValue).toArray()),
                LatencySummary.of(app.stream().mapToDouble(Double::doubleValue).toArray()),
                ok / measuredSeconds, breakdown, resources, sent.maxLateMs(), maxBacklog, maxQueue, new ArrayList<>(errorSamples),
                options.shots(), prompted);
    }

    /** Milliseconds per item, NaN for none. */
    private static double perCall(long nanos, long count) {
        return count == 0 ? Double.NaN : nanos / 1e6 / count;
    }

    /** Frames in the frames topic that the application has not committed yet. */
    private static long backlog(Admin admin, NarratorConfig config, Topics topics) {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(config.applicationId())
                    .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < config.topicPartitions(); p++) latest.put(new TopicPartition(topics.frames().name(), p), OffsetSpec.latest());
            long lag = 0;
            for (var e : admin.listOffsets(latest).all().get(5, TimeUnit.SECONDS).entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                lag += e.getValue().offset() - (c == null ? 0 : c.offset());
            }
            return lag;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot read the application's committed offsets: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private void deleteTopics(NarratorConfig config, Topics topics) {
        try (Admin admin = Admin.create(config.clientProperties())) {
            List<String> names = new ArrayList<>(topics.names());
            admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(n -> n.startsWith(config.applicationId() + "-")) // Kafka Streams' changelog and repartition topics
                    .forEach(names::add);
            admin.deleteTopics(names).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("cannot delete the topics of {}: {}", config.applicationId(), e.toString());
        }
    }

    /** Runs {@code work} on a new thread of the given name (so its CPU time is attributed) and returns its result. */
    private static <T> T onThread(String name, ThrowingSupplier<T> work) throws InterruptedException {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                result.set(work.get());
            } catch (Throwable t) {
                failure.set(t);
            }
        }, name);
        thread.start();
        try {
            thread.join();
        } catch (InterruptedException e) {
            thread.interrupt();
            thread.join();
            throw e;
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof InterruptedException i) throw i;
        if (t instanceof Error err) throw err;
        if (t != null) throw new IllegalStateException(t.getMessage(), t);
        return result.get();
    }

    private interface ThrowingSupplier<T> {
        T get() throws Exception;
    }

    static BufferedImage decode(byte[] jpeg) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(jpeg));
            if (image == null) throw new IllegalStateException("a rendered benchmark frame is not a readable JPEG");
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the broker and deletes its data and the runs' state. */
    @Override
    public void close() {
        try {
            broker.close();
        } finally {
            try {
                Utils.delete(work.toFile());
            } catch (IOException e) {
                LOG.warn("cannot delete {}: {}", work, e.toString());
            }
        }
    }
}
