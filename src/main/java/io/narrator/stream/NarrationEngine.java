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
 *
 * <p>The engine also runs the vision encoder ({@link FrameFeatures}): before narrating a batch it computes the
 * features of the batch's frames that are not cached yet, in batched calls, and while no clip waits it encodes the
 * frames stream threads have kept since, ahead of the clips that will need them. Stream threads only sample,
 * decode and resize.
 */
public final class NarrationEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NarrationEngine.class);

    /** Batching and overload limits, how many batches are narrated at once, and the vision encoder's batching and cache. */
    public record Settings(int batchMax, long batchWaitMs, int queueCapacity, long maxLagMs, int threads, int visionBatchMax, long visionBatchWaitMs,
            int visionCacheFrames) {
        public Settings {
            if (threads < 1) throw new IllegalArgumentException("narration.threads must be >= 1, got " + threads);
            if (batchMax < 1) throw new IllegalArgumentException("batch.max must be >= 1, got " + batchMax);
            if (batchWaitMs < 0) throw new IllegalArgumentException("batch.wait.ms must be >= 0, got " + batchWaitMs);
            if (queueCapacity < 1) throw new IllegalArgumentException("queue.capacity must be >= 1, got " + queueCapacity);
            if (maxLagMs < 1) throw new IllegalArgumentException("max.lag.ms must be >= 1, got " + maxLagMs);
            if (visionBatchMax < 1) throw new IllegalArgumentException("vision.batch.max must be >= 1, got " + visionBatchMax);
            if (visionBatchWaitMs < 0) throw new IllegalArgumentException("vision.batch.wait.ms must be >= 0, got " + visionBatchWaitMs);
            if (visionCacheFrames < 1) throw new IllegalArgumentException("vision.cache.frames must be >= 1, got " + visionCacheFrames);
        }

        /** Settings with one batching thread and the default vision settings. */
        public Settings(int batchMax, long batchWaitMs, int queueCapacity, long maxLagMs) {
            this(batchMax, batchWaitMs, queueCapacity, maxLagMs, 1, Integer.parseInt(ConfigKey.VISION_BATCH_MAX.defaultValue()),
                    Long.parseLong(ConfigKey.VISION_BATCH_WAIT_MS.defaultValue()), Integer.parseInt(ConfigKey.VISION_CACHE_FRAMES.defaultValue()));
        }

        /** The engine settings of a configuration. */
        public static Settings from(NarratorConfig config) {
            return new Settings(config.batchMax(), config.batchWaitMs(), config.queueCapacity(), config.maxLagMs(), config.narrationThreads(),
                    config.visionBatchMax(), config.visionBatchWaitMs(), config.visionCacheFrames());
        }
    }

    private final Narration narration;
    private final Settings settings;
    private final NarratorMetrics metrics;
    private final FrameFeatures frames;
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
        this.frames = new FrameFeatures(narration, metrics, settings.visionBatchMax(), settings.visionBatchWaitMs(), settings.visionCacheFrames());
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

    /** Where stream threads hand the vision input of the frames they keep, to be encoded ahead of their clips. */
    FrameFeatures frames() {
        return frames;
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
            deliver(job, ClipNarration.failed("skipped: narration queue is full (queue.capacity=" + settings.queueCapacity() + ")", 0), 0, 0);
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
                Submitted first = queue.poll(Math.min(TimeUnit.MILLISECONDS.toNanos(200), frames.nanosUntilDue()), TimeUnit.NANOSECONDS);
                if (first == null) {
                    frames.encodeDue(); // no clip waits: encode kept frames ahead of their clips
                    continue;
                }
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
                deliver(job, ClipNarration.failed("skipped: narration is " + lag + " ms behind, max.lag.ms=" + settings.maxLagMs(), 0), queueMs, 0);
            } else {
                toNarrate.add(s);
                worstLag = Math.max(worstLag, lag);
            }
        }
        metrics.lag(worstLag);
        if (toNarrate.isEmpty()) return;
        List<FrameFeatures.Resolved> features = frames.resolve(toNarrate.stream().map(Submitted::job).toList());
        List<Submitted> ready = new ArrayList<>(toNarrate.size());
        List<ClipRequest> requests = new ArrayList<>(toNarrate.size());
        List<Long> visionMs = new ArrayList<>(toNarrate.size());
        for (int i = 0; i < toNarrate.size(); i++) {
            Submitted s = toNarrate.get(i);
            FrameFeatures.Resolved f = features.get(i);
            if (!f.ok()) {
                LOG.warn("clip {} of stream {} cannot be narrated: {}", s.job().clipIndex(), s.job().streamId(), f.error());
                metrics.clipSkipped("failed");
                deliver(s.job(), ClipNarration.failed(f.error(), 0), start - s.submittedAtMillis(), 0);
                continue;
            }
            ready.add(s);
            requests.add(s.job().request(f.features()));
            visionMs.add(f.visionMicros() / 1000);
        }
        toNarrate = ready;
        if (toNarrate.isEmpty()) return;
        metrics.batch(toNarrate.size());
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
            deliver(s.job(), results.get(i), start - s.submittedAtMillis(), visionMs.get(i));
        }
    }

    private void deliver(NarrationJob job, ClipNarration result, long queueMs, long visionMs) {
        if (!job.completions().offer(new NarrationCompletion(job, result, queueMs, visionMs))) metrics.completionDropped("task_closed");
        done();
    }

    private void done() {
        synchronized (idleLock) {
            inFlight--;
            if (inFlight <= 0) idleLock.notifyAll();
        }
    }
}
