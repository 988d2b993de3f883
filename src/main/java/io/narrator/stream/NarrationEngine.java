package io.narrator.stream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one narration engine per JVM, shared by every stream thread: a bounded queue of clips and
 * {@code narration.threads} batching threads, each taking up to {@code batch.max} clips (of any streams),
 * waiting at most {@code batch.wait.ms} for more, and narrating them in one batched call. Several threads
 * narrate several batches at once: a burst of clips (windows of every stream close together) is spread
 * over the cores. A clip whose window closed more than {@code max.lag.ms} ago, or that finds the queue full,
 * is not narrated but completed with an error, so memory never grows under overload and every gap is reported.
 * Completions of one stream may finish out of order across threads; {@link ClipWindowProcessor} publishes
 * each stream's captions in clip order.
 */
public final class NarrationEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NarrationEngine.class);

    /** Batching and overload limits, and how many batches are narrated at once. */
    public record Settings(int batchMax, long batchWaitMs, int queueCapacity, long maxLagMs, int threads) {
        public Settings {
            if (threads < 1) throw new IllegalArgumentException("narration.threads must be >= 1, got " + threads);
            if (batchMax < 1) throw new IllegalArgumentException("batch.max must be >= 1, got " + batchMax);
            if (batchWaitMs < 0) throw new IllegalArgumentException("batch.wait.ms must be >= 0, got " + batchWaitMs);
            if (queueCapacity < 1) throw new IllegalArgumentException("queue.capacity must be >= 1, got " + queueCapacity);
            if (maxLagMs < 1) throw new IllegalArgumentException("max.lag.ms must be >= 1, got " + maxLagMs);
        }

        /** Settings with one batching thread. */
        public Settings(int batchMax, long batchWaitMs, int queueCapacity, long maxLagMs) {
            this(batchMax, batchWaitMs, queueCapacity, maxLagMs, 1);
        }

        /** The engine settings of a configuration. */
        public static Settings from(NarratorConfig config) {
            return new Settings(config.batchMax(), config.batchWaitMs(), config.queueCapacity(), config.maxLagMs(), config.narrationThreads());
        }
    }

    private final Narration narration;
    private final Settings settings;
    private final NarratorMetrics metrics;
    private final LongSupplier clockMillis;
    private final BlockingQueue<Submitted> queue;
    private final List<Thread> threads = new ArrayList<>();
    private final Object idleLock = new Object();
    private int inFlight;
    private volatile boolean running = true;

    private record Submitted(NarrationJob job, long submittedAtMillis) {}

    private NarrationEngine(Narration narration, Settings settings, NarratorMetrics metrics, LongSupplier clockMillis) {
        if (narration == null || settings == null || metrics == null || clockMillis == null)
            throw new IllegalArgumentException("narration, settings, metrics and clock must not be null");
        this.narration = narration;
        this.settings = settings;
        this.metrics = metrics;
        this.clockMillis = clockMillis;
        this.queue = new LinkedBlockingQueue<>(settings.queueCapacity());
        for (int i = 0; i < settings.threads(); i++) {
            Thread thread = new Thread(this::run, settings.threads() == 1 ? "narrator-engine" : "narrator-engine-" + (i + 1));
            thread.setDaemon(true);
            threads.add(thread);
        }
    }

    /** Starts an engine on the wall clock. */
    public static NarrationEngine start(Narration narration, Settings settings, NarratorMetrics metrics) {
        return start(narration, settings, metrics, System::currentTimeMillis);
    }

    /** Starts an engine that measures lag with the given clock (milliseconds since the epoch). */
    public static NarrationEngine start(Narration narration, Settings settings, NarratorMetrics metrics, LongSupplier clockMillis) {
        NarrationEngine engine = new NarrationEngine(narration, settings, metrics, clockMillis);
        engine.threads.forEach(Thread::start);
        return engine;
    }

    /** The model behind this engine. */
    public Narration narration() {
        return narration;
    }

    /** The metrics this engine (and the topology using it) records into. */
    public NarratorMetrics metrics() {
        return metrics;
    }

    /** The engine's clock, in milliseconds since the epoch. */
    public long nowMillis() {
        return clockMillis.getAsLong();
    }

    /**
     * Queues a clip for narration; never blocks. When the queue is full or the engine is closed, the
     * clip is completed at once with an error (the closed case delivers nothing: its task is closing too).
     */
    public void submit(NarrationJob job) {
        if (!running) {
            metrics.completionDropped("engine_closed");
            return;
        }
        synchronized (idleLock) {
            inFlight++;
        }
        if (!queue.offer(new Submitted(job, nowMillis()))) {
            metrics.clipSkipped("queue_full");
            deliver(job, ClipNarration.failed("skipped: narration queue is full (queue.capacity=" + settings.queueCapacity() + ")", 0), 0);
        }
    }

    /** Waits until every submitted clip has been completed; returns false if the timeout passed first. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idleLock) {
            while (inFlight > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                TimeUnit.NANOSECONDS.timedWait(idleLock, left);
            }
            return true;
        }
    }

    /** Stops the batching threads; clips still queued are not narrated (their processors re-submit them on restart). */
    @Override
    public void close() {
        running = false;
        threads.forEach(Thread::interrupt);
        try {
            for (Thread thread : threads) thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Submitted> left = new ArrayList<>();
        queue.drainTo(left);
        left.forEach(s -> {
            metrics.completionDropped("engine_closed");
            done();
        });
    }

    private void run() {
        while (running) {
            try {
                Submitted first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) continue;
                List<Submitted> batch = new ArrayList<>(settings.batchMax());
                batch.add(first);
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.batchWaitMs());
                while (batch.size() < settings.batchMax()) {
                    long left = deadline - System.nanoTime();
                    Submitted next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) break;
                    batch.add(next);
                }
                narrate(batch);
            } catch (InterruptedException e) {
                if (running) LOG.warn("narration engine interrupted while running");
                return;
            } catch (RuntimeException e) {
                LOG.error("narration engine batch failed unexpectedly", e);
            }
        }
    }

    private void narrate(List<Submitted> batch) {
        long start = nowMillis();
        List<Submitted> toNarrate = new ArrayList<>(batch.size());
        long worstLag = 0;
        for (Submitted s : batch) {
            NarrationJob job = s.job();
            long queueMs = start - s.submittedAtMillis();
            long lag = start - job.closedAtMillis();
            if (!job.completions().isOpen()) {
                metrics.completionDropped("task_closed");
                done();
            } else if (lag > settings.maxLagMs()) {
                metrics.clipSkipped("lag");
                deliver(job, ClipNarration.failed("skipped: narration is " + lag + " ms behind, max.lag.ms=" + settings.maxLagMs(), 0), queueMs);
            } else {
                toNarrate.add(s);
                worstLag = Math.max(worstLag, lag);
            }
        }
        metrics.lag(worstLag);
        if (toNarrate.isEmpty()) return;
        metrics.batch(toNarrate.size());
        List<ClipRequest> requests = toNarrate.stream().map(s -> s.job().request()).toList();
        List<ClipNarration> results;
        try {
            results = narration.narrate(requests);
            if (results == null || results.size() != requests.size())
                throw new IllegalStateException("narration returned " + (results == null ? "null" : results.size() + " results")
                        + " for " + requests.size() + " clips");
        } catch (RuntimeException e) {
            LOG.error("narration of a batch of {} clips failed", requests.size(), e);
            long took = nowMillis() - start;
            results = requests.stream().map(r -> ClipNarration.failed("narration failed: " + e.getMessage(), took)).toList();
            toNarrate.forEach(s -> metrics.clipSkipped("failed"));
        }
        for (int i = 0; i < toNarrate.size(); i++) {
            Submitted s = toNarrate.get(i);
            deliver(s.job(), results.get(i), start - s.submittedAtMillis());
        }
    }

    private void deliver(NarrationJob job, ClipNarration result, long queueMs) {
        if (!job.completions().offer(new NarrationCompletion(job, result, queueMs))) metrics.completionDropped("task_closed");
        done();
    }

    private void done() {
        synchronized (idleLock) {
            inFlight--;
            if (inFlight <= 0) idleLock.notifyAll();
        }
    }
}
