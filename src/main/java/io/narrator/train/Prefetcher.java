package io.narrator.train;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * Builds the batch of the next step on a background thread while the current step trains (rendering and
 * tokenising are Java work that would otherwise leave the cores PyTorch uses idle). Batches depend only on
 * their step number, so prefetching changes nothing in what is computed.
 */
final class Prefetcher<T> implements AutoCloseable {
    private final IntFunction<T> make;
    private final int steps;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "batch-prefetch");
        t.setDaemon(true);
        return t;
    });
    private int nextStep = -1;
    private Future<T> next;

    /** Prefetches batches of steps below {@code steps}. */
    Prefetcher(IntFunction<T> make, int steps) {
        this.make = make;
        this.steps = steps;
    }

    /** The batch of {@code step}; starts building that of {@code step + 1}. */
    T get(int step) {
        T batch;
        try {
            batch = (next != null && nextStep == step) ? next.get() : make.apply(step);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while preparing a batch", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("preparing the batch of step " + step + " failed: " + e.getCause().getMessage(), e.getCause());
        }
        nextStep = step + 1;
        next = step + 1 < steps ? executor.submit(() -> make.apply(step + 1)) : null;
        return batch;
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES); // the builder may share non-thread-safe state
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
