package io.narrator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.narrator.bench.LatencyChart;
import io.narrator.bench.Machine;
import io.narrator.bench.ModelBenchmark;
import io.narrator.bench.OverheadResult;
import io.narrator.bench.PipelineBenchmark;
import io.narrator.bench.PipelineReport;
import io.narrator.bench.PipelineResult;
import io.narrator.bench.IngestBenchmark;
import io.narrator.model.FlamingoModel;
import io.narrator.model.ModelDevice;
import io.narrator.stream.FlamingoNarration;
import io.narrator.stream.NarratorConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code narrator bench}: measures the model, the pipeline and ingest. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks; results as JSON plus a printed table.",
        subcommands = {BenchCommand.Model.class, BenchCommand.Pipeline.class, BenchCommand.Ingest.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** {@code narrator bench model}. */
    @Command(name = "model", mixinStandardHelpOptions = true,
            description = "Clips/s and ms per generated token at several batch sizes, with and without caches; vision frames/s; resampler ms per clip.",
            footer = {"", "Example:", "  narrator bench model --model bundled --json model-bench.json"})
    static final class Model implements Callable<Integer> {
        @Mixin ModelOption model;

        @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON to FILE.")
        Path json;

        @Option(names = "--smoke", description = "A few seconds' run that only checks the benchmark works.")
        boolean smoke;

        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (FlamingoModel m = model.load()) {
                int torchThreads = model.threadsPerOp();
                ModelBenchmark.Result r = new ModelBenchmark(m, model.model.strip(), smoke ? ModelBenchmark.Options.smoke(torchThreads) : ModelBenchmark.Options.standard(torchThreads)).run();
                PrintWriter out = spec.commandLine().getOut();
                out.printf("%s, %,d parameters, on %s (%s); %d cores, %d PyTorch thread(s) per op; medians of %d interleaved rounds after %.0f s of warm-up%n",
                        r.model(), r.parameters(), r.device(), r.dtype(), r.cores(), r.torchThreads(), r.runs(), r.warmupSeconds());
                out.printf("load        %8.0f ms (%.1f MB of weights)%n", r.loadMs(), r.fileBytes() / 1e6);
                out.printf("vision      %8.1f frames/s (%.2f ms/frame)%n", r.visionFramesPerSecond(), r.visionMsPerFrame());
                out.printf("resampler   %8.2f ms per clip%n", r.resamplerMsPerClip());
                out.printf("%-8s %6s %7s %12s %12s %10s%n", "prompt", "batch", "cache", "ms/token", "tokens/s", "clips/s");
                for (ModelBenchmark.Generation g : r.generation())
                    out.printf("%-8s %6d %7s %12.2f %12.1f %10.2f%n", g.prompt(), g.batch(), g.cached() ? "yes" : "no",
                            g.msPerToken(), g.tokensPerSecond(), g.clipsPerSecond());
                r.cacheSpeedup().forEach((k, v) -> out.printf("cache speed-up %-18s %.2fx%n", k, v));
                r.batchSpeedup().forEach((k, v) -> out.printf("batch speed-up %-18s %.2fx tokens/s of batch 1%n", k, v));
                for (String skipped : r.notMeasured()) out.println("not measured: " + skipped);
                if (json != null) JSON.writeValue(json.toFile(), r);
            }
            return 0;
        }
    }

    /** {@code narrator bench pipeline}. */
    @Command(name = "pipeline", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Synthetic live streams (the synthetic world, pre-rendered to JPEG) sent in real time through an embedded broker into "
                    + "the whole narrator with a real model; captions read back by a read_committed consumer. Reports whether it kept up, "
                    + "latency from window end to caption (p50/p95/p99), captions/s, CPU, memory and where the time went.",
                    "--sweep runs several stream counts and --chart draws latency against streams; --overhead narrates the same clips "
                    + "through the pipeline (sent as fast as it takes them) and through the model alone, and prints the ratio."},
            footer = {"", "Examples:",
                    "  narrator bench pipeline --streams 64 --seconds 60 --json pipeline.json",
                    "  narrator bench pipeline --sweep 8,16,32,64,96 --chart latency.png --json sweep.json",
                    "  narrator bench pipeline --streams 16 --seconds 40 --overhead",
                    "  narrator bench pipeline --streams 64 --shots 4",
                    "  narrator bench pipeline --streams 64 --set batch.max=32 --set num.stream.threads=2"})
    static final class Pipeline implements Callable<Integer> {
        @Option(names = "--streams", paramLabel = "N", defaultValue = "64", description = "Concurrent streams (default: ${DEFAULT-VALUE}).")
        int streams;

        @Option(names = "--fps", paramLabel = "F", defaultValue = "15", description = "Frames per second each stream sends (default: ${DEFAULT-VALUE}).")
        double fps;

        @Option(names = "--size", paramLabel = "WxH", defaultValue = "320x240", description = "Frame size (default: ${DEFAULT-VALUE}).")
        String size;

        @Option(names = "--seconds", paramLabel = "S", defaultValue = "60", description = "Seconds of video per stream and run (default: ${DEFAULT-VALUE}).")
        double seconds;

        @Option(names = "--warmup", paramLabel = "S", defaultValue = "8",
                description = "Windows ending in the first S seconds are left out of the latencies (default: ${DEFAULT-VALUE}).")
        double warmup;

        @Option(names = "--sweep", paramLabel = "N", split = ",", description = "Run once per stream count (instead of --streams).")
        List<Integer> sweep;

        @Option(names = "--prewarm", paramLabel = "S", defaultValue = "30",
                description = "First an unmeasured run of S seconds at the largest stream count, so the JVM has compiled its hot code, as a long-running narrator has (0 = none; default: ${DEFAULT-VALUE}).")
        double prewarm;

        @Option(names = "--shots", paramLabel = "N", defaultValue = "0",
                description = "Publish a default prompt of N few-shot examples (frames of the synthetic world with their captions) for every stream before each run (0-8; default: ${DEFAULT-VALUE}, no prompt).")
        int shots;

        @Option(names = "--overhead", description = "Also narrate the same clips of --streams streams through the pipeline and through the model alone.")
        boolean overhead;

        @Option(names = "--set", paramLabel = "KEY=VALUE",
                description = "A Narrator configuration key or Kafka Streams property for the narrator under test (batch.max, num.stream.threads, ...); repeatable.")
        Map<String, String> settings = new LinkedHashMap<>();

        @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON to FILE.")
        Path json;

        @Option(names = "--chart", paramLabel = "FILE.png", description = "Draw latency against streams (PNG) into FILE.png.")
        Path chart;

        @Mixin ModelOption model;

        @Option(names = "--smoke", description = "A few seconds' run on tiny inputs (2 streams, 64x48, 2 s windows) that only checks the benchmark works.")
        boolean smoke;

        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            int[] wh = parseSize(size);
            List<Integer> counts = sweep == null || sweep.isEmpty() ? List.of(streams) : List.copyOf(sweep);
            for (int n : counts) if (n < 1) throw new IllegalArgumentException("stream counts must be at least 1, got " + n);
            Map<String, String> set = new LinkedHashMap<>(settings);
            PipelineBenchmark.Options options;
            int overheadStreams = streams;
            if (smoke) {
                counts = sweep == null || sweep.isEmpty() ? List.of(2) : List.of(1, 2);
                overheadStreams = 2;
                set.putIfAbsent("window.seconds", "2");
                set.putIfAbsent("hop.seconds", "1");
                set.putIfAbsent("generation.max.tokens", "4");
                options = new PipelineBenchmark.Options(2, 4, 64, 48, 5, 0, set, Duration.ofSeconds(90), shots);
            } else {
                int most = Math.max(overhead ? streams : 1, counts.stream().mapToInt(Integer::intValue).max().orElse(streams));
                options = new PipelineBenchmark.Options(most, fps, wh[0], wh[1], seconds, warmup, set, Duration.ofSeconds(Math.max(60, Math.round(seconds))), shots);
            }
            if (!(prewarm >= 0)) throw new IllegalArgumentException("--prewarm must be 0 or more seconds, got " + prewarm);
            double warmFor = smoke ? 0 : prewarm;
            PrintWriter out = spec.commandLine().getOut();
            Machine machine = Machine.current();
            out.println(machine.describe());
            try (FlamingoModel m = model.load(NarratorConfig.of(set)); FlamingoNarration narration = new FlamingoNarration(m);
                    PipelineBenchmark bench = PipelineBenchmark.start(options, narration)) {
                String modelName = m.config().name() + " " + m.config().version();
                out.printf(Locale.ROOT, "%s on %s (%s); %s fps, %dx%d JPEG (%.1f KB mean), %.0f s per run, %s%n", modelName,
                        ModelDevice.describe(m.device()), m.dtype().label(), fmt(options.fps()), options.width(),
                        options.height(), bench.meanFrameBytes() / 1024, options.seconds(), describe(bench.baseConfig().properties()));
                out.flush();
                if (warmFor > 0) {
                    out.printf(Locale.ROOT, "pre-warming the JVM: %d streams for %.0f s (not measured)%n", options.streams(), warmFor);
                    out.flush();
                    bench.prewarm(options.streams(), warmFor);
                }
                List<PipelineResult> runs = new ArrayList<>();
                printHeader(out);
                for (int n : counts) {
                    PipelineResult r = bench.run(n);
                    runs.add(r);
                    printRun(out, r);
                    out.flush();
                }
                printBreakdown(out, runs.get(runs.size() - 1));
                OverheadResult o = null;
                if (overhead) {
                    o = bench.overhead(overheadStreams);
                    out.printf(Locale.ROOT, "%noverhead, %d streams x %.0f s, %d clips:%n", o.streams(), o.seconds(), o.clips());
                    out.printf(Locale.ROOT, "  pipeline    %7.2f clips/s  (%d captions, %d errors in %.1f s)%n", o.pipelineClipsPerSecond(),
                            o.pipelineCaptions(), o.pipelineErrors(), o.pipelineSeconds());
                    out.printf(Locale.ROOT, "  model alone %7.2f clips/s  (vision %.1f s + narration %.1f s)%n", o.modelClipsPerSecond(),
                            o.modelVisionSeconds(), o.modelNarrateSeconds());
                    out.printf(Locale.ROOT, "  ratio       %7.2f  (target >= %.2f: %s)%n", o.ratio(), OverheadResult.TARGET_RATIO, o.meetsTarget() ? "met" : "not met");
                }
                PipelineReport report = new PipelineReport(machine, modelName, bench.meanFrameBytes(), PipelineBenchmark.TARGET_P99_MS, runs, o);
                if (json != null) JSON.writeValue(json.toFile(), report);
                if (chart != null) LatencyChart.write(runs, "Caption latency against streams (" + modelName + ", " + options.width() + "x"
                        + options.height() + " at " + fmt(options.fps()) + " fps)", chart);
            }
            return 0;
        }

        static int[] parseSize(String size) {
            String[] parts = size == null ? new String[0] : size.toLowerCase(Locale.ROOT).split("x");
            try {
                if (parts.length == 2) return new int[] {Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip())};
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("--size must be WIDTHxHEIGHT, e.g. 320x240, got '" + size + "'");
        }

        private static String describe(Map<String, String> p) {
            return List.of("window.seconds", "hop.seconds", "batch.max", "batch.wait.ms", "generation.beams", "generation.max.tokens", "topic.partitions",
                    "num.stream.threads").stream().filter(p::containsKey).map(k -> k + "=" + p.get(k)).collect(Collectors.joining(", "));
        }

        private static void printHeader(PrintWriter out) {
            out.printf("%n%7s %7s %9s %7s %6s %8s %8s %8s %8s %9s %6s %7s %7s%n", "streams", "kept up", "captions", "missing", "errors", "p50 ms",
                    "p95 ms", "p99 ms", "app p99", "capt/s", "cores", "heap MB", "RSS MB");
        }

        private static void printRun(PrintWriter out, PipelineResult r) {
            out.printf(Locale.ROOT, "%7d %7s %9d %7d %6d %8.0f %8.0f %8.0f %8.0f %9.2f %6.2f %7.0f %7.0f%n", r.streams(), r.keptUp() ? "yes" : "NO",
                    r.captions(), r.missing(), r.errors(), r.endToEndMs().p50(), r.endToEndMs().p95(), r.endToEndMs().p99(), r.inAppMs().p99(),
                    r.captionsPerSecond(), r.resources().cpuCoresMean(), r.resources().heapPeakMb(), r.resources().rssPeakMb());
            if (!r.errorSamples().isEmpty()) out.println("        errors: " + String.join("; ", r.errorSamples()));
            if (r.shots() > 0)
                out.printf(Locale.ROOT, "        %d of %d captions made with the %d-shot default prompt%n", r.promptedCaptions(), r.captions(), r.shots());
        }

        private static void printBreakdown(PrintWriter out, PipelineResult r) {
            PipelineResult.Breakdown b = r.breakdown();
            out.printf(Locale.ROOT, "%nwhere the time went (%d streams, after the warm-up):%n", r.streams());
            out.printf(Locale.ROOT, "  decode+resize %6.2f ms/frame%n", b.decodeMsPerFrame());
            out.printf(Locale.ROOT, "  vision       %7.2f ms/frame (%.2f ms CPU), %.1f frames per batch, %d frames encoded%n", b.visionMsPerFrame(),
                    b.visionCpuMsPerFrame(), b.framesPerVisionBatch(), b.framesEncoded());
            out.printf(Locale.ROOT, "  narration    %7.0f ms/batch (%.0f ms CPU), %.1f clips per batch%n", b.generationMsPerBatch(),
                    b.generationCpuMsPerBatch(), b.clipsPerBatch());
            out.printf(Locale.ROOT, "  queue        %7.0f ms/clip from window close to its batch (at most %d ms)%n", b.queueMs(), r.maxQueueMs());
            out.printf(Locale.ROOT, "  backlog      %7d frames at most; load generator late by at most %.0f ms%n", r.maxBacklogFrames(), r.maxSendLateMs());
            out.println("CPU by thread group:");
            b.cpuSeconds().forEach((k, v) -> out.printf(Locale.ROOT, "  %-30s %8.1f s  %5.1f%%%n", k, v, 100 * b.cpuShare().get(k)));
        }

        private static String fmt(double v) {
            return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
        }
    }

    /** {@code narrator bench ingest}. */
    @Command(name = "ingest", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Times Narrator's 1 FPS sampling of a video file (decode, keep one frame per second, JPEG-encode it) against "
                    + "`ffmpeg -i FILE -vf fps=1 -f image2pipe -vcodec mjpeg -` on the same file, and prints the ratio (target <= 1.2).",
            footer = {"", "Example:", "  narrator bench ingest clip.mp4 --runs 5 --json ingest.json"})
    static final class Ingest implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE", description = "The video file.")
        Path file;

        @Option(names = "--runs", paramLabel = "N", defaultValue = "5", description = "Timed runs of each side; medians are compared (default: ${DEFAULT-VALUE}).")
        int runs;

        @Option(names = "--ffmpeg", paramLabel = "PATH", description = "The ffmpeg executable (default: ffmpeg on the PATH).")
        Path ffmpeg;

        @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON to FILE.")
        Path json;

        @Option(names = "--smoke", description = "One timed run of each side: only checks the benchmark works.")
        boolean smoke;

        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (!java.nio.file.Files.isRegularFile(file)) throw new IllegalArgumentException("video file " + file + " does not exist");
            Path binary = ffmpeg != null ? ffmpeg : IngestBenchmark.findFfmpeg().orElseThrow(() -> new IllegalArgumentException(
                    "ffmpeg is not on the PATH: install it (apt-get install ffmpeg) or give --ffmpeg PATH"));
            if (!java.nio.file.Files.isExecutable(binary)) throw new IllegalArgumentException("--ffmpeg " + binary + " is not an executable file");
            IngestBenchmark.Result r = new IngestBenchmark(binary, smoke ? 1 : runs).run(file);
            PrintWriter out = spec.commandLine().getOut();
            out.println(Machine.current().describe());
            out.printf(Locale.ROOT, "%-14s %10s %8s%n", "", "median s", "frames");
            out.printf(Locale.ROOT, "%-14s %10.3f %8d%n", "narrator", r.javacvSeconds(), r.javacvFrames());
            out.printf(Locale.ROOT, "%-14s %10.3f %8d%n", "ffmpeg", r.ffmpegSeconds(), r.ffmpegFrames());
            out.printf(Locale.ROOT, "ratio %.2f (target <= %.1f: %s)%n", r.ratio(), IngestBenchmark.TARGET_RATIO, r.meetsTarget() ? "met" : "not met");
            out.println("ffmpeg command: " + String.join(" ", r.ffmpegCommand()));
            if (json != null) JSON.writeValue(json.toFile(), r);
            return 0;
        }
    }
}
