package io.narrator.ingest;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A monotonic clock (nanoseconds) that only the test moves, and a {@link Sleeper} on it: a sleep returns once the test
 * has advanced the clock to its end, or throws when its thread is interrupted. Lets a test pace {@code --realtime}.
 */
public final class ManualClock implements Sleeper, LongSupplier {
    private long nanos;
    private long sleepsBegun;
    private int sleeping;

    @Override
    public synchronized long getAsLong() {
        return nanos;
    }

    /** Moves the clock forward, waking the sleeps that end by then. */
    public synchronized void advance(Duration d) {
        nanos += d.toNanos();
        notifyAll();
    }

    @Override
    public synchronized void sleep(Duration duration) throws InterruptedException {
        long until = nanos + duration.toNanos();
        sleepsBegun++;
        sleeping++;
        notifyAll();
        try {
            while (nanos < until) wait();
        } finally {
            sleeping--;
        }
    }

    /** Waits until {@code n} sleeps have begun and one is still sleeping; false if {@code timeout} passes first. */
    public synchronized boolean awaitSleeping(long n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (sleepsBegun < n || sleeping == 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return false;
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }
}
