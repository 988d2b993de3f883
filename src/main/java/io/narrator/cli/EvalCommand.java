package io.narrator.cli;

import io.narrator.model.FlamingoModel;
import io.narrator.train.eval.Evaluation;
import io.narrator.train.eval.ReportWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code narrator eval}: few-shot and temporal evaluation of a model on held-out synthetic scenes. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluates a model on clips of scenes never used in training: accuracy per task per number of",
                "in-context examples, 0-shot caption attributes, captions with frames shuffled, gate values.",
                "Writes report.json and PNG charts to --report and prints a summary."},
        footer = {"", "Example:", "  narrator eval --model bundled --shots 0,1,2,4,8 --clips 100 --seed 7 --report eval/"})
final class EvalCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin ModelOption model;

    @Option(names = "--shots", split = ",", defaultValue = "0,1,2,4,8", paramLabel = "N,N,…", description = "Numbers of in-context examples (default: ${DEFAULT-VALUE}).")
    List<Integer> shots;

    @Option(names = "--clips", defaultValue = "100", paramLabel = "N", description = "Query clips per task (default: ${DEFAULT-VALUE}).")
    int clips;

    @Option(names = "--seed", defaultValue = "7", paramLabel = "S", description = "Seed of the held-out scenes (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--report", paramLabel = "DIR", description = "Write report.json and charts here.")
    Path report;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (FlamingoModel m = model.load()) {
            Evaluation.Report r = new Evaluation(m, new Evaluation.Options(shots, clips, seed, 16), text -> System.err.println("eval: " + text)).run();
            for (String line : ReportWriter.summary(r)) spec.commandLine().getOut().println(line);
            if (report != null) {
                ReportWriter.write(r, report);
                spec.commandLine().getOut().println("wrote " + report.resolve(ReportWriter.JSON_FILE));
            }
        }
        return 0;
    }
}
