package io.narrator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.narrator.bench.ModelBenchmark;
import io.narrator.model.FlamingoModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code narrator bench}: measures the model, the pipeline and ingest. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks; results as JSON plus a printed table.",
        subcommands = {BenchCommand.Model.class})
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
        @Option(names = "--model", defaultValue = "bundled", paramLabel = "DIR", description = "Model directory or 'bundled' (default).")
        String model;

        @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON to FILE.")
        Path json;

        @Option(names = "--smoke", description = "A few seconds' run that only checks the benchmark works.")
        boolean smoke;

        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (FlamingoModel m = FlamingoModel.load(model)) {
                ModelBenchmark.Result r = new ModelBenchmark(m, smoke ? ModelBenchmark.Options.smoke() : ModelBenchmark.Options.standard()).run();
                PrintWriter out = spec.commandLine().getOut();
                out.printf("%s, %,d parameters, %d threads%n", r.model(), r.parameters(), r.threads());
                out.printf("vision      %8.1f frames/s (%.2f ms/frame)%n", r.visionFramesPerSecond(), r.visionMsPerFrame());
                out.printf("resampler   %8.2f ms per clip%n", r.resamplerMsPerClip());
                out.printf("%-8s %6s %7s %12s %12s %10s%n", "prompt", "batch", "cache", "ms/token", "tokens/s", "clips/s");
                for (ModelBenchmark.Generation g : r.generation())
                    out.printf("%-8s %6d %7s %12.2f %12.1f %10.2f%n", g.prompt(), g.batch(), g.cached() ? "yes" : "no",
                            g.msPerToken(), g.tokensPerSecond(), g.clipsPerSecond());
                r.cacheSpeedup().forEach((k, v) -> out.printf("cache speed-up %-18s %.2fx%n", k, v));
                r.batchSpeedup().forEach((k, v) -> out.printf("batch speed-up %-18s %.2fx tokens/s of batch 1%n", k, v));
                if (json != null) JSON.writeValue(json.toFile(), r);
            }
            return 0;
        }
    }
}
