package io.narrator.cli;

import io.narrator.train.TrainingListener;
import java.io.PrintStream;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Shows training as a progress bar per stage: step, loss, steps/s and ETA. */
final class TrainingProgressBar implements TrainingListener {
    private final PrintStream err;
    private ProgressBar bar;
    private double smoothed = Double.NaN;

    TrainingProgressBar(PrintStream err) {
        this.err = err;
    }

    @Override
    public void started(String stage, int firstStep, int totalSteps) {
        bar = new ProgressBarBuilder()
                .setTaskName(stage)
                .setInitialMax(totalSteps)
                .startsFrom(firstStep, java.time.Duration.ZERO)
                .setStyle(ProgressBarStyle.ASCII)
                .showSpeed()
                .setUnit(" steps", 1)
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(err))
                .build();
        smoothed = Double.NaN;
    }

    @Override
    public void step(String stage, int step, float loss) {
        smoothed = Double.isNaN(smoothed) ? loss : 0.95 * smoothed + 0.05 * loss;
        bar.stepTo(step);
        bar.setExtraMessage(String.format(java.util.Locale.ROOT, "loss %.4f", smoothed));
    }

    @Override
    public void message(String stage, String text) {
        if (bar != null) bar.setExtraMessage(text);
        else err.println(stage + ": " + text);
    }

    @Override
    public void finished(String stage) {
        if (bar != null) bar.close();
        bar = null;
        if (Double.isNaN(smoothed)) err.printf("%s: done (already complete in its checkpoint)%n", stage);
        else err.printf(java.util.Locale.ROOT, "%s: done, final loss %.4f%n", stage, smoothed);
    }
}
