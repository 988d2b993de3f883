package io.narrator.cli;

import io.narrator.model.checkpoint.SafeTensors;
import java.io.PrintWriter;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** The progress of {@code narrator model import} on stderr: a bar over the megabytes of weights written, with speed and ETA. */
final class ImportProgressBar implements SafeTensors.Progress, AutoCloseable {
    private static final int WIDTH = 100;
    private static final long MB = 1 << 20;

    private final PrintWriter err;
    private final String task;
    private ProgressBar bar;

    ImportProgressBar(PrintWriter err, String task) {
        this.err = err;
        this.task = task;
    }

    @Override
    public void written(long written, long total) {
        if (bar == null)
            bar = new ProgressBarBuilder()
                    .setTaskName(task)
                    .setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(250)
                    .setInitialMax(Math.max(1, (total + MB - 1) / MB))
                    .setUnit(" MB", 1)
                    .showSpeed()
                    .setConsumer(new DelegatingProgressBarConsumer(line -> {
                        err.print('\r' + line);
                        err.flush();
                    }, WIDTH))
                    .build();
        bar.stepTo(written / MB);
    }

    /** Marks the bar complete (the file is written); {@link #close} alone leaves it where a failure stopped it. */
    void finish() {
        if (bar != null) bar.stepTo(bar.getMax());
    }

    @Override
    public void close() {
        if (bar == null) return;
        bar.close();
        err.println();
        err.flush();
        bar = null;
    }
}
