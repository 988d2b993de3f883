package io.narrator.cli;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C (SIGINT, SIGTERM) for a long-running command: a shutdown hook runs the command's stop actions
 * (stop the ingest, wake the consumer, ...) and then holds the JVM until the command has finished cleaning
 * up and {@link #close() closed} this signal, so buffered records are flushed and brokers stop cleanly.
 * Interrupting the command's thread counts as a stop too (how tests and embedders end it).
 */
final class StopSignal implements AutoCloseable {
    /** The longest the JVM waits for a command to clean up after Ctrl-C. */
    static final Duration CLEANUP = Duration.ofSeconds(30);

    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final List<Runnable> actions = new CopyOnWriteArrayList<>();
    private final Thread hook;

    private StopSignal() {
        hook = new Thread(() -> {
            stop();
            try {
                finished.await(CLEANUP.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "narrator-ctrl-c");
    }

    /** Installs the hook; close it when the command is done. */
    static StopSignal install() {
        StopSignal signal = new StopSignal();
        Runtime.getRuntime().addShutdownHook(signal.hook);
        return signal;
    }

    /** Adds an action to run once when the user stops the command. */
    StopSignal onStop(Runnable action) {
        actions.add(action);
        if (isStopped()) action.run();
        return this;
    }

    /** Requests the stop: runs the actions once. */
    void stop() {
        if (stopRequested.getCount() == 0) return;
        stopRequested.countDown();
        for (Runnable action : actions) action.run();
    }

    boolean isStopped() {
        return stopRequested.getCount() == 0;
    }

    /** Waits for Ctrl-C; an interrupt of this thread counts as one. */
    void await() {
        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            stop();
        }
    }

    /**
     * Waits up to {@code timeout} for Ctrl-C; an interrupt counts as one.
     *
     * @return true when the command should stop
     */
    boolean await(Duration timeout) {
        try {
            return stopRequested.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            stop();
            return true;
        }
    }

    /** The command is done: lets a pending shutdown proceed and removes the hook. */
    @Override
    public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: it returns now that finished is counted down
        }
    }
}
