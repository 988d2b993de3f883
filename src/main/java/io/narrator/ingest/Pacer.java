package io.narrator.ingest;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * {@code --realtime}: holds each frame or segment of a file back until its presentation time has come,
 * measured from the moment the first one was released, so a file behaves like a live camera.
 */
final class Pacer {
    private final Sleeper sleeper;
    private final LongSupplier nanoTime;
    private long firstMediaMicros = Long.MIN_VALUE;
    private long firstNanos;

    /**
     * @param sleeper waits
     * @param nanoTime a monotonic clock in nanoseconds, such as {@link System#nanoTime()}
     */
    Pacer(Sleeper sleeper, LongSupplier nanoTime) {
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /** Waits until {@code mediaMicros} is due; the first call sets the origin and returns at once. */
    void awaitMediaTime(long mediaMicros) throws InterruptedException {
        if (firstMediaMicros == Long.MIN_VALUE) {
            firstMediaMicros = mediaMicros;
            firstNanos = nanoTime.getAsLong();
            return;
        }
        long dueNanos = firstNanos + (mediaMicros - firstMediaMicros) * 1_000L;
        long waitNanos = dueNanos - nanoTime.getAsLong();
        if (waitNanos > 0) sleeper.sleep(Duration.ofNanos(waitNanos));
    }
}
