package io.narrator.stream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.narrator.avro.AlertRuleKind;
import io.narrator.ingest.FpsSampler;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Narrator's own meters, so that nothing is dropped without a counter: frames in, sampled and dropped per reason,
 * dead letters per reason, windows, clips, captions, skipped and suppressed clips, alerts and alert rules, batch sizes,
 * latencies, narration lag, the narration engine's queue and health. Every counter and latency exists from the start, at 0 for each of its
 * tag values ({@link #COUNTERS}), so that a rate or a dashboard panel has a series before the first event; every meter
 * has a description (Prometheus' HELP) and times are in seconds. Thread-safe; one per application.
 */
public final class NarratorMetrics {
    /** A counter: its name, what it counts, and its one tag with every value it takes (none: no tag). */
    public record CounterSpec(String name, String description, String tag, List<String> values) {
        public CounterSpec {
            if (name == null || !name.startsWith("narrator.")) throw new IllegalArgumentException("a Narrator counter's name starts with 'narrator.', got " + name);
            if (description == null || description.isBlank()) throw new IllegalArgumentException("counter " + name + " needs a description");
            if ((tag == null) != values.isEmpty()) throw new IllegalArgumentException("counter " + name + ": a tag needs values, values need a tag");
            values = List.copyOf(values);
        }

        CounterSpec(String name, String description) {
            this(name, description, null, List.of());
        }
    }

    /** Every counter Narrator keeps. */
    public static final List<CounterSpec> COUNTERS = List.of(
            new CounterSpec("narrator.frames.in", "frames that arrived: VideoFrame records (source=frames) or frames decoded from segments (source=segments)",
                    "source", List.of("frames", "segments")),
            new CounterSpec("narrator.frames.sampled", "frames kept by sampling (sample.fps) and decoded"),
            new CounterSpec("narrator.frames.dropped", "frames dropped by sampling: another frame of a period that has its sample (drop_rate), the event time of the last kept frame (drop_duplicate), older than it (drop_late)",
                    "reason", Arrays.stream(FpsSampler.Decision.values()).filter(d -> d != FpsSampler.Decision.KEEP).map(d -> d.name().toLowerCase(Locale.ROOT)).toList()),
            new CounterSpec("narrator.frames.truncated", "frames left out of a clip because its window held more frames than the model takes"),
            new CounterSpec("narrator.dead.letters", "records sent to the dead-letter topic, by reason code (docs/input.md)",
                    "reason", Arrays.stream(DeadLetterReason.values()).map(Enum::name).toList()),
            new CounterSpec("narrator.vision.frames", "frames run through the vision encoder: ahead of their clips, or on demand when a clip needed them",
                    "when", List.of("ahead", "on_demand")),
            new CounterSpec("narrator.vision.cache", "frames of narrated clips whose vision features were cached (hit) or had to be computed then (miss)",
                    "outcome", List.of("hit", "miss")),
            new CounterSpec("narrator.windows.empty", "clip windows that held no frame and so made no clip"),
            new CounterSpec("narrator.windows.idle.flushed", "last partial windows of idle streams narrated (idle.timeout.ms)"),
            new CounterSpec("narrator.clips.submitted", "clips submitted to the narration engine"),
            new CounterSpec("narrator.clips.skipped", "clips not narrated, published with an error caption: later than max.lag.ms (lag), queue full (queue_full), narration failed (failed), not back within clip.timeout.ms (timeout)",
                    "reason", List.of("lag", "queue_full", "failed", "timeout")),
            new CounterSpec("narrator.captions", "captions published with text (published) or with an error (error), or not published as a repeat (suppressed, suppress.repeats)",
                    "outcome", List.of("published", "error", "suppressed")),
            new CounterSpec("narrator.completions.dropped", "finished narrations not published: their task had moved (task_closed), already published (duplicate), the engine closed (engine_closed) or failed (engine_failed)",
                    "reason", List.of("task_closed", "duplicate", "engine_closed", "engine_failed")),
            new CounterSpec("narrator.engine.batch.failures", "narration batches that failed with an exception (their clips got error captions) or an Error that stopped the engine",
                    "kind", List.of("exception", "error")),
            new CounterSpec("narrator.prompts", "prompts put in force (applied), removed by a tombstone (removed), or rejected (unusable)",
                    "outcome", List.of("applied", "removed", "unusable")),
            new CounterSpec("narrator.alerts", "alerts published to the alerts topic, by the kind of the rule that matched (docs/alerts.md)",
                    "kind", Arrays.stream(AlertRuleKind.values()).map(Enum::name).toList()),
            new CounterSpec("narrator.alerts.cooled.down", "matches of alert rules that published no alert because the rule had alerted on the stream within its cooldown, by rule kind",
                    "kind", Arrays.stream(AlertRuleKind.values()).map(Enum::name).toList()),
            new CounterSpec("narrator.alert.rules", "alert rules put in force from the alert-rule table (applied), removed by a tombstone (removed), or found unusable there (unusable)",
                    "outcome", List.of("applied", "removed", "unusable")),
            new CounterSpec("narrator.alert.questions.failed", "questions of alert rules that could not be answered about a clip (their rules were not evaluated for it)"));

    /** The stages of {@code narrator.latency}. */
    public static final List<String> LATENCY_STAGES = List.of("queue", "decode", "vision", "generation", "questions", "total");

    private final MeterRegistry registry;
    private final AtomicLong lagMs = new AtomicLong();
    private final AtomicLong promptsWaiting = new AtomicLong();
    private final DistributionSummary batchSize;
    /** Counters by name, then by tag value ("" for an untagged counter). */
    private final Map<String, Map<String, Counter>> counters = new HashMap<>();
    private final Map<String, Timer> latencies = new HashMap<>();

    public NarratorMetrics(MeterRegistry registry) {
        if (registry == null) throw new IllegalArgumentException("registry must not be null");
        this.registry = registry;
        for (CounterSpec spec : COUNTERS) {
            Map<String, Counter> byValue = new HashMap<>();
            if (spec.tag() == null) byValue.put("", Counter.builder(spec.name()).description(spec.description()).register(registry));
            for (String value : spec.values())
                byValue.put(value, Counter.builder(spec.name()).description(spec.description()).tag(spec.tag(), value).register(registry));
            counters.put(spec.name(), byValue);
        }
        for (String stage : LATENCY_STAGES)
            latencies.put(stage, Timer.builder("narrator.latency").tag("stage", stage).publishPercentileHistogram()
                    .description("time per published caption in each stage: queued for the narration engine (queue), decoding its frames (decode), "
                            + "the vision encoder (vision), generation (generation), answering the questions of alert rules (questions, once per batch), "
                            + "and from its window's close to its publication (total)")
                    .register(registry));
        Gauge.builder("narrator.narration.lag", lagMs, ms -> ms.get() / 1000.0).baseUnit("seconds")
                .description("how far behind narration is: from the close of the latest batch's oldest window to the start of its narration").register(registry);
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
        counter("narrator.frames.in", source).increment();
    }

    /** A frame was kept by sampling and its features computed. */
    public void frameSampled() {
        counter("narrator.frames.sampled", "").increment();
    }

    /** Frames dropped by sampling, for the given reason. */
    public void framesDropped(FpsSampler.Decision reason, int count) {
        counter("narrator.frames.dropped", reason.name().toLowerCase(Locale.ROOT)).increment(count);
    }

    /** A record was dead-lettered. */
    public void deadLetter(DeadLetterReason reason) {
        counter("narrator.dead.letters", reason.name()).increment();
    }

    /** Frames run through the vision encoder by the engine: {@code ahead} of their clips, or {@code on_demand} when a clip needed them. */
    public void framesEncoded(String when, int count) {
        if (count > 0) counter("narrator.vision.frames", when).increment(count);
    }

    /** Frames of narrated clips whose features were cached ({@code hit}) or had to be encoded then ({@code miss}). */
    public void visionCache(int hits, int misses) {
        if (hits > 0) counter("narrator.vision.cache", "hit").increment(hits);
        if (misses > 0) counter("narrator.vision.cache", "miss").increment(misses);
    }

    /** A window closed with frames and its clip was submitted for narration. */
    public void clipSubmitted() {
        counter("narrator.clips.submitted", "").increment();
    }

    /** Clip windows that held no frame and so produced no clip. */
    public void emptyWindows(long count) {
        counter("narrator.windows.empty", "").increment(count);
    }

    /** Frames left out of a clip because the window held more than the model takes. */
    public void framesTruncated(int count) {
        counter("narrator.frames.truncated", "").increment(count);
    }

    /** The last partial window of an idle stream was flushed. */
    public void idleFlush() {
        counter("narrator.windows.idle.flushed", "").increment();
    }

    /** A caption was published ({@code ok}) or published with its error set. */
    public void captionPublished(boolean ok) {
        counter("narrator.captions", ok ? "published" : "error").increment();
    }

    /** A caption equal to the stream's previous one was not published (suppress.repeats). */
    public void captionSuppressed() {
        counter("narrator.captions", "suppressed").increment();
    }

    /**
     * The narration engine's queue and health, read when scraped: clips waiting in its queue, its live batching threads,
     * whether an {@link Error} stopped it (1) or not (0), and when it finished its last batch (seconds since the epoch, 0
     * before the first).
     */
    public void engine(NarrationEngine engine) {
        Gauge.builder("narrator.engine.queue.depth", engine, NarrationEngine::queueDepth)
                .description("clips waiting in the narration engine's queue for a batch (at most queue.capacity)").register(registry);
        Gauge.builder("narrator.engine.threads.alive", engine, NarrationEngine::liveThreads)
                .description("narration engine threads alive").register(registry);
        Gauge.builder("narrator.engine.failed", engine, e -> e.failure().isPresent() ? 1 : 0)
                .description("1 once an Error stopped the narration engine").register(registry);
        Gauge.builder("narrator.engine.last.batch.timestamp", engine, e -> e.lastBatchMillis() / 1000.0).baseUnit("seconds")
                .description("when the narration engine finished its last batch").register(registry);
    }

    /** A batch of the narration engine failed: with an exception (its clips got error captions), or an {@code error} that stopped the engine. */
    public void engineFailure(String kind) {
        counter("narrator.engine.batch.failures", kind).increment();
    }

    /** A clip was not narrated: {@code lag}, {@code queue_full}, {@code failed} or {@code timeout}. */
    public void clipSkipped(String reason) {
        counter("narrator.clips.skipped", reason).increment();
    }

    /** A finished narration was not published: its task was closed, or it was already published. */
    public void completionDropped(String reason) {
        counter("narrator.completions.dropped", reason).increment();
    }

    /** A prompt was applied to the prompt table, or removed by a tombstone. */
    public void prompt(String outcome) {
        counter("narrator.prompts", outcome).increment();
    }

    /** An alert rule was applied to the alert-rule table, removed by a tombstone, or found unusable there. */
    public void alertRule(String outcome) {
        counter("narrator.alert.rules", outcome).increment();
    }

    /** A rule of this kind matched a clip and its alert was published. */
    public void alertPublished(AlertRuleKind kind) {
        counter("narrator.alerts", kind.name()).increment();
    }

    /** A rule of this kind matched a clip and published no alert: it had alerted on the stream within its cooldown. */
    public void alertCooledDown(AlertRuleKind kind) {
        counter("narrator.alerts.cooled.down", kind.name()).increment();
    }

    /** Questions of alert rules that could not be answered about a clip (their rules were not evaluated for it). */
    public void questionsFailed(int count) {
        if (count > 0) counter("narrator.alert.questions.failed", "").increment(count);
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

    /** Time spent in one stage of {@link #LATENCY_STAGES}. */
    public void latency(String stage, long millis) {
        Timer timer = latencies.get(stage);
        if (timer == null) throw new IllegalArgumentException("no latency stage '" + stage + "': one of " + LATENCY_STAGES);
        timer.record(Duration.ofMillis(Math.max(0, millis)));
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

    /** The counter {@code name} with tag value {@code value} ("" for an untagged counter), registered at construction. */
    private Counter counter(String name, String value) {
        Map<String, Counter> byValue = counters.get(name);
        if (byValue == null) throw new IllegalArgumentException("no counter " + name + " in NarratorMetrics.COUNTERS");
        Counter counter = byValue.get(value);
        if (counter == null) throw new IllegalArgumentException("counter " + name + " has no tag value '" + value + "': add it to NarratorMetrics.COUNTERS");
        return counter;
    }
}
