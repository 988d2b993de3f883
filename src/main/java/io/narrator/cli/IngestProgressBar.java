package io.narrator.cli;

import io.narrator.ingest.IngestProgress;
import io.narrator.ingest.ProgressListener;
import java.io.PrintWriter;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The progress of {@code narrator ingest} on stderr: a bar over the media seconds of a file (with speed and
 * ETA), or a running count of frames or segments for a live source.
 */
final class IngestProgressBar implements ProgressListener, AutoCloseable {
    private static final int WIDTH = 100;

    private final PrintWriter err;
    private final String task;
    private final String unit;
    private ProgressBar bar;
    private boolean bounded;

    /** @param unit what the ingest delivers: frames or segments */
    IngestProgressBar(PrintWriter err, String task, String unit) {
        this.err = err;
        this.task = task;
        this.unit = unit;
    }

    @Override
    public void onProgress(IngestProgress progress) {
        if (bar == null) {
            bounded = progress.hasTotal();
            ProgressBarBuilder builder = new ProgressBarBuilder()
                    .setTaskName(task)
                    .setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(250)
                    .setConsumer(new DelegatingProgressBarConsumer(line -> {
                        err.print('\r' + line);
                        err.flush();
                    }, WIDTH));
            if (bounded) builder.setInitialMax(Math.round(Math.ceil(progress.totalSeconds() * 10))).setUnit(" s", 10).showSpeed();
            else builder.setInitialMax(-1).setUnit(" " + unit, 1);
            bar = builder.build();
        }
        if (bounded) bar.stepTo(Math.round(progress.mediaSeconds() * 10));
        else bar.stepTo(progress.items());
        bar.setExtraMessage(" " + progress.items() + " " + unit);
    }

    @Override
    public void close() {
        if (bar == null) return;
        if (bounded) bar.stepTo(bar.getMax());
        bar.close();
        err.println();
        err.flush();
        bar = null;
    }
}
