package io.narrator.stream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;
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
 * <p>Every clip of a batch is completed whatever happens to the batch: an exception fails the batch's clips (each gets
 * a caption with the error) and the thread goes on; an {@link Error} (out of memory, stack overflow, a native library
 * that cannot be linked) fails the batch's clips the same way and is fatal: the engine stops taking batches,
 * {@link #failure()} says why and the listeners given to {@link #onFatal} are told, so the application can stop
 * (see {@code NarratorApp}). Clips still queued then stay pending in their processors' state and are narrated
 * again after a restart.
 *
 * <p>The engine also runs the vision encoder ({@link FrameFeatures}): before narrating a batch it computes the
 * features of the batch's frames that are not cached yet, in batched calls, and while no clip waits it encodes the
 * frames stream threads have kept since, ahead of the clips that will need them. Stream threads only sample,
 * decode and resize. After narrating a batch it asks the questions of the clips' alert rules ({@link Narration#answer}) in
 * one more call, so that each completion carries its clip's answers and no stream thread waits for the model.
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
    private volatile Throwable fatal;
    private final List<Consumer<Throwable>> fatalListeners = new ArrayList<>();
    /** Wall-clock time the model last finished narrating a batch (0 = never). */
    private final AtomicLong lastBatchMillis = new AtomicLong();
    /** Per thread: wall-clock time its current batch started, 0 while it waits for one. */
    private final AtomicLongArray busySince;

    /** A clip in the engine; {@code delivered} turns true once, when its completion is handed over. */
    private record Submitted(NarrationJob job, long submittedAtMillis, AtomicBoolean delivered) {
        Submitted(NarrationJob job, long submittedAtMillis) {
            this(job, submittedAtMillis, new AtomicBoolean());
        }
    }

    private NarrationEngine(Narration narration, Settings settings, NarratorMetrics metrics, LongSupplier clockMillis) {
        if (narration == null || settings == null || metrics == null || clockMillis == null)
            throw new IllegalArgumentException("narration, settings, metrics and clock must not be null");
        this.narration = narration;
        this.settings = settings;
        this.metrics = metrics;
        this.frames = new FrameFeatures(narration, metrics, settings.visionBatchMax(), settings.visionBatchWaitMs(), settings.visionCacheFrames());
        this.clockMillis = clockMillis;
        this.queue = new LinkedBlockingQueue<>(settings.queueCapacity());
        this.busySince = new AtomicLongArray(settings.threads());
        for (int i = 0; i < settings.threads(); i++) {
            int index = i;
            Thread thread = new Thread(() -> run(index), settings.threads() == 1 ? "narrator-engine" : "narrator-engine-" + (i + 1));
            thread.setDaemon(true);
            threads.add(thread);
        }
        metrics.engine(this);
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

    /** The {@link Error} that stopped the engine, if one did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(fatal);
    }

    /** Calls {@code listener} (on the failing engine thread) when an {@link Error} stops the engine; at once if one already has. */
    public void onFatal(Consumer<Throwable> listener) {
        Throwable already;
        synchronized (fatalListeners) {
            already = fatal;
            if (already == null) fatalListeners.add(listener);
        }
        if (already != null) listener.accept(already);
    }

    /** How many of the engine's batching threads are alive (all of them, until the engine fails or closes). */
    public int liveThreads() {
        return (int) threads.stream().filter(Thread::isAlive).count();
    }

    /** Clips waiting in the queue for a batch (not yet taken by a batching thread). */
    public int queueDepth() {
        return queue.size();
    }

    /** How many batching threads the engine started. */
    public int threads() {
        return threads.size();
    }

    /** Wall-clock time the model last finished narrating a batch, in milliseconds since the epoch; 0 before the first. */
    public long lastBatchMillis() {
        return lastBatchMillis.get();
    }

    /** How long the longest-running batch now in narration has been running, in milliseconds; 0 when none is. */
    public long longestBatchMillis() {
        long now = nowMillis();
        long longest = 0;
        for (int i = 0; i < busySince.length(); i++) {
            long since = busySince.get(i);
            if (since > 0) longest = Math.max(longest, now - since);
        }
        return longest;
    }

    /**
     * Queues a clip for narration; never blocks. When the queue is full the clip is completed at once with an error.
     * When the engine is closed or has failed, nothing is delivered: the clip stays pending in its processor's state
     * (its task is closing, or the application is stopping and narrates it after a restart).
     */
    public void submit(NarrationJob job) {
        if (!running) {
            metrics.completionDropped(fatal != null ? "engine_failed" : "engine_closed");
            return;
        }
        synchronized (idleLock) {
            inFlight++;
        }
        Submitted submitted = new Submitted(job, nowMillis());
        if (!queue.offer(submitted)) {
            metrics.clipSkipped("queue_full");
            deliver(submitted, ClipNarration.failed("skipped: narration queue is full (queue.capacity=" + settings.queueCapacity() + ")", 0), 0, 0);
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

    private void run(int index) {
        while (running) {
            List<Submitted> batch = new ArrayList<>(settings.batchMax());
            try {
                Submitted first = queue.poll(Math.min(TimeUnit.MILLISECONDS.toNanos(200), frames.nanosUntilDue()), TimeUnit.NANOSECONDS);
                if (first == null) {
                    frames.encodeDue(); // no clip waits: encode kept frames ahead of their clips
                    continue;
                }
                batch.add(first);
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.batchWaitMs());
                while (batch.size() < settings.batchMax()) {
                    long left = deadline - System.nanoTime();
                    Submitted next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) break;
                    batch.add(next);
                }
                busySince.set(index, Math.max(1, nowMillis()));
                narrate(batch, index);
            } catch (InterruptedException e) { // closing: clips taken for a batch stay pending in their processors' state
                for (Submitted s : batch)
                    if (s.delivered().compareAndSet(false, true)) {
                        metrics.completionDropped("engine_closed");
                        done();
                    }
                if (running) LOG.warn("narration engine interrupted while running");
                return;
            } catch (RuntimeException e) {
                LOG.error("a narration batch of {} clips failed", batch.size(), e);
                metrics.engineFailure("exception");
                failUndelivered(batch, "narration failed: " + describe(e));
            } catch (Error e) {
                metrics.engineFailure("error");
                failUndelivered(batch, "narration engine failed: " + describe(e));
                fail(e);
                return;
            } finally {
                busySince.set(index, 0);
            }
        }
    }

    /** Completes, with an error caption, every clip of a batch that was not completed yet. */
    private void failUndelivered(List<Submitted> batch, String error) {
        long now = nowMillis();
        for (Submitted s : batch) {
            if (s.delivered().get()) continue;
            metrics.clipSkipped("failed");
            deliver(s, ClipNarration.failed(error, 0), now - s.submittedAtMillis(), 0);
        }
    }

    /** An {@link Error} on an engine thread: the engine takes no more batches and its listeners are told. */
    private void fail(Error e) {
        List<Consumer<Throwable>> listeners;
        synchronized (fatalListeners) {
            if (fatal != null) return;
            fatal = e;
            listeners = List.copyOf(fatalListeners);
        }
        running = false;
        LOG.error("the narration engine failed and stops: {}", describe(e), e);
        for (Consumer<Throwable> listener : listeners) {
            try {
                listener.accept(e);
            } catch (RuntimeException listenerFailure) {
                LOG.error("a listener of the engine's failure failed", listenerFailure);
            }
        }
    }

    /** A failure in one line: an exception's message (its class when it has none), an error's class and message. */
    static String describe(Throwable e) {
        boolean noMessage = e.getMessage() == null || e.getMessage().isBlank();
        if (noMessage) return e.getClass().getName();
        return e instanceof Error ? e.getClass().getName() + ": " + e.getMessage() : e.getMessage();
    }

    private void narrate(List<Submitted> batch, int thread) {
        long start = nowMillis();
        List<Submitted> toNarrate = new ArrayList<>(batch.size());
        long worstLag = 0;
        for (Submitted s : batch) {
            NarrationJob job = s.job();
            long queueMs = start - s.submittedAtMillis();
            long lag = start - job.closedAtMillis();
            if (!job.completions().isOpen()) {
                metrics.completionDropped("task_closed");
                if (s.delivered().compareAndSet(false, true)) done();
            } else if (lag > settings.maxLagMs()) {
                metrics.clipSkipped("lag");
                deliver(s, ClipNarration.failed("skipped: narration is " + lag + " ms behind, max.lag.ms=" + settings.maxLagMs(), 0), queueMs, 0);
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
                deliver(s, ClipNarration.failed(f.error(), 0), start - s.submittedAtMillis(), 0);
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
            metrics.engineFailure("exception");
            results = requests.stream().map(r -> ClipNarration.failed("narration failed: " + describe(e), took)).toList();
            toNarrate.forEach(s -> metrics.clipSkipped("failed"));
        }
        List<List<QuestionScores>> answers = answer(toNarrate, requests, results);
        lastBatchMillis.set(nowMillis());
        busySince.set(thread, 0);
        for (int i = 0; i < toNarrate.size(); i++) {
            Submitted s = toNarrate.get(i);
            deliver(s, results.get(i), start - s.submittedAtMillis(), visionMs.get(i), answers.get(i));
        }
    }

    /**
     * Asks the questions of the alert rules of every clip narrated without error, all in one call of the model; per clip,
     * its questions' scores in the job's order (none for a clip with an error). A failure leaves those questions without
     * scores, so their rules are not evaluated for the clip; the captions are published all the same.
     */
    private List<List<QuestionScores>> answer(List<Submitted> narrated, List<ClipRequest> requests, List<ClipNarration> results) {
        List<List<QuestionScores>> out = new ArrayList<>(narrated.size());
        List<Integer> counts = new ArrayList<>(narrated.size());
        List<QuestionRequest> questions = new ArrayList<>();
        for (int i = 0; i < narrated.size(); i++) {
            out.add(List.of());
            NarrationJob job = narrated.get(i).job();
            List<AlertQuestion> own = results.get(i).ok() ? job.questions() : List.of();
            counts.add(own.size());
            for (AlertQuestion q : own) questions.add(new QuestionRequest(job.streamId(), requests.get(i).frameFeatures(), q.prompt(), q.answers()));
        }
        if (questions.isEmpty()) return out;
        long t0 = nowMillis();
        List<QuestionScores> scores;
        try {
            scores = narration.answer(questions);
            if (scores == null || scores.size() != questions.size())
                throw new IllegalStateException("answering returned " + (scores == null ? "null" : scores.size() + " results") + " for " + questions.size()
                        + " questions");
        } catch (RuntimeException e) {
            LOG.error("answering {} questions of alert rules failed; their rules are not evaluated for these clips", questions.size(), e);
            QuestionScores failed = QuestionScores.failed("answering failed: " + describe(e));
            scores = java.util.Collections.nCopies(questions.size(), failed);
        }
        metrics.latency("questions", nowMillis() - t0);
        metrics.questionsFailed((int) scores.stream().filter(q -> !q.ok()).count());
        int next = 0;
        for (int i = 0; i < narrated.size(); i++) {
            int n = counts.get(i);
            if (n == 0) continue;
            out.set(i, List.copyOf(scores.subList(next, next + n)));
            next += n;
        }
        return out;
    }

    private void deliver(Submitted s, ClipNarration result, long queueMs, long visionMs) {
        deliver(s, result, queueMs, visionMs, List.of());
    }

    private void deliver(Submitted s, ClipNarration result, long queueMs, long visionMs, List<QuestionScores> answers) {
        if (!s.delivered().compareAndSet(false, true)) return;
        NarrationJob job = s.job();
        if (!job.completions().offer(new NarrationCompletion(job, result, queueMs, visionMs, answers))) metrics.completionDropped("task_closed");
        done();
    }

    private void done() {
        synchronized (idleLock) {
            inFlight--;
            if (inFlight <= 0) idleLock.notifyAll();
        }
    }
}
