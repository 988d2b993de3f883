package io.narrator.stream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.narrator.ingest.FpsSampler;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Narrator's own meters, so that nothing is dropped without a counter: frames in, sampled and
 * dropped per reason, dead letters per reason, windows, clips, captions, skipped and suppressed
 * clips, batch sizes, latencies, narration lag, and the narration engine's health. Thread-safe; one per application.
 */
public final class NarratorMetrics {
    private final MeterRegistry registry;
    private final AtomicLong lagMs = new AtomicLong();
    private final AtomicLong promptsWaiting = new AtomicLong();
    private final DistributionSummary batchSize;

    public NarratorMetrics(MeterRegistry registry) {
        if (registry == null) throw new IllegalArgumentException("registry must not be null");
        this.registry = registry;
        registry.gauge("narrator.narration.lag.ms", lagMs);
        Gauge.builder("narrator.prompts.waiting", promptsWaiting, AtomicLong::get)
                .description("prompts received and not validated yet (tombstones behind them included)").register(registry);
        this.batchSize = DistributionSummary.builder("narrator.batch.size")
                .description("clips per batched generation").publishPercentileHistogram().register(registry);
    }

    /** Meters kept in memory only (tests, or an application without a metrics endpoint). */
    public static NarratorMetrics inMemory() {
        return new NarratorMetrics(new SimpleMeterRegistry());
    }

    /** The registry all meters are registered in. */
    public MeterRegistry registry() {
        return registry;
    }

    /** A frame arrived; {@code source} is {@code frames} or {@code segments}. */
    public void frameIn(String source) {
        counter("narrator.frames.in", "source", source).increment();
    }

    /** A frame was kept by sampling and its features computed. */
    public void frameSampled() {
        counter("narrator.frames.sampled").increment();
    }

    /** Frames dropped by sampling, for the given reason. */
    public void framesDropped(FpsSampler.Decision reason, int count) {
        counter("narrator.frames.dropped", "reason", reason.name().toLowerCase(Locale.ROOT)).increment(count);
    }

    /** A record was dead-lettered. */
    public void deadLetter(DeadLetterReason reason) {
        counter("narrator.dead.letters", "reason", reason.name()).increment();
    }

    /** Frames run through the vision encoder by the engine: {@code ahead} of their clips, or {@code on_demand} when a clip needed them. */
    public void framesEncoded(String when, int count) {
        if (count > 0) counter("narrator.vision.frames", "when", when).increment(count);
    }

    /** Frames of narrated clips whose features were cached ({@code hit}) or had to be encoded then ({@code miss}). */
    public void visionCache(int hits, int misses) {
        if (hits > 0) counter("narrator.vision.cache", "outcome", "hit").increment(hits);
        if (misses > 0) counter("narrator.vision.cache", "outcome", "miss").increment(misses);
    }

    /** A window closed with frames and its clip was submitted for narration. */
    public void clipSubmitted() {
        counter("narrator.clips.submitted").increment();
    }

    /** Clip windows that held no frame and so produced no clip. */
    public void emptyWindows(long count) {
        counter("narrator.windows.empty").increment(count);
    }

    /** Frames left out of a clip because the window held more than the model takes. */
    public void framesTruncated(int count) {
        counter("narrator.frames.truncated").increment(count);
    }

    /** The last partial window of an idle stream was flushed. */
    public void idleFlush() {
        counter("narrator.windows.idle.flushed").increment();
    }

    /** A caption was published ({@code ok}) or published with its error set. */
    public void captionPublished(boolean ok) {
        counter("narrator.captions", "outcome", ok ? "published" : "error").increment();
    }

    /** A caption equal to the stream's previous one was not published (suppress.repeats). */
    public void captionSuppressed() {
        counter("narrator.captions", "outcome", "suppressed").increment();
    }

    /**
     * The narration engine's health, read when scraped: its live batching threads, whether an {@link Error} stopped it
     * (1) or not (0), and when it finished its last batch (seconds since the epoch, 0 before the first).
     */
    public void engine(NarrationEngine engine) {
        Gauge.builder("narrator.engine.threads.alive", engine, NarrationEngine::liveThreads)
                .description("narration engine threads alive").register(registry);
        Gauge.builder("narrator.engine.failed", engine, e -> e.failure().isPresent() ? 1 : 0)
                .description("1 once an Error stopped the narration engine").register(registry);
        Gauge.builder("narrator.engine.last.batch.timestamp", engine, e -> e.lastBatchMillis() / 1000.0).baseUnit("seconds")
                .description("when the narration engine finished its last batch").register(registry);
    }

    /** A batch of the narration engine failed: with an exception (its clips got error captions), or an {@code error} that stopped the engine. */
    public void engineFailure(String kind) {
        counter("narrator.engine.batch.failures", "kind", kind).increment();
    }

    /** A clip was not narrated: {@code lag}, {@code queue_full}, {@code failed} or {@code timeout}. */
    public void clipSkipped(String reason) {
        counter("narrator.clips.skipped", "reason", reason).increment();
    }

    /** A finished narration was not published: its task was closed, or it was already published. */
    public void completionDropped(String reason) {
        counter("narrator.completions.dropped", "reason", reason).increment();
    }

    /** A prompt was applied to the prompt table, or removed by a tombstone. */
    public void prompt(String outcome) {
        counter("narrator.prompts", "outcome", outcome).increment();
    }

    /** An alert rule was applied to the alert-rule table, removed by a tombstone, or found unusable there. */
    public void alertRule(String outcome) {
        counter("narrator.alert.rules", "outcome", outcome).increment();
    }

    /** A rule of this kind matched a clip: its alert was {@code published}, or not because of the rule's {@code cooldown}. */
    public void alert(io.narrator.avro.AlertRuleKind kind, String outcome) {
        counter("narrator.alerts", "kind", kind.name(), "outcome", outcome).increment();
    }

    /** Questions of alert rules that could not be answered about a clip (their rules were not evaluated for it). */
    public void questionsFailed(int count) {
        if (count > 0) counter("narrator.alert.questions.failed").increment(count);
    }

    /** Prompts received and waiting for validation changed by {@code delta}. */
    public void promptsWaiting(int delta) {
        promptsWaiting.addAndGet(delta);
    }

    /** Prompts received and not validated yet, in every task of this application. */
    public long promptsWaiting() {
        return promptsWaiting.get();
    }

    /** One batched generation of {@code size} clips. */
    public void batch(int size) {
        batchSize.record(size);
    }

    /** Time spent in one stage: queue, decode, vision, generation, questions (of alert rules, per batch), total. */
    public void latency(String stage, long millis) {
        Timer.builder("narrator.latency").tag("stage", stage).publishPercentileHistogram()
                .register(registry).record(Duration.ofMillis(Math.max(0, millis)));
    }

    /** How far behind narration is: window close to start of narration of the latest batch. */
    public void lag(long millis) {
        lagMs.set(Math.max(0, millis));
    }

    /** The current value of a counter, 0 when it was never incremented (for tests and status pages). */
    public double count(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    private Counter counter(String name, String... tags) {
        return Counter.builder(name).tags(tags).register(registry);
    }
}
