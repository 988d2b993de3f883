package io.narrator.stream;

import io.narrator.avro.Alert;
import io.narrator.avro.Caption;
import io.narrator.avro.CaptionLatency;
import io.narrator.avro.state.PendingClip;
import io.narrator.avro.state.StoredFrame;
import io.narrator.avro.state.WindowProgress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clip windows per stream, in event time, by the {@link WindowRule} over the state stores: a window closes when a
 * frame at or after its end arrives, or (once, the last partial window) when the stream has been idle for
 * {@code idle.timeout.ms} of wall-clock time. A closed window with
 * frames becomes a pending clip (stored, then submitted to the {@link NarrationEngine}); a
 * wall-clock punctuator publishes finished narrations and deletes their pending entries in the same
 * transaction, each stream's captions in clip order, with the alerts of the alert rules in force for the stream when the
 * clip was submitted ({@link ClipAlerts}; questions are answered by the engine with the caption). On (re)initialisation
 * every pending clip is submitted again, so a crash before a commit neither loses nor duplicates a caption or an alert. A clip whose narration has not
 * completed {@code clip.timeout.ms} after this processor submitted it is published with an error caption (its late
 * completion, if any, is dropped as a duplicate), so one lost narration holds back its stream's later captions for
 * at most that long and the finished ones waiting behind it stay bounded. {@link ClipWindows} applies the same rule in memory, for
 * files narrated offline.
 */
final class ClipWindowProcessor implements Processor<String, SampledFrame, String, Object> {
    private static final Logger LOG = LoggerFactory.getLogger(ClipWindowProcessor.class);

    private final NarrationEngine engine;
    private final NarratorConfig config;
    private final PromptLibrary prompts;
    private final AlertRules alertRules;
    private final NarratorMetrics metrics;
    private final CompletionQueue completions = new CompletionQueue();
    /** Finished narrations waiting for an earlier clip of their stream to be published first. */
    private final List<NarrationCompletion> held = new ArrayList<>();
    /** Clips submitted to the engine and not completed yet, by state key, oldest submission first. */
    private final LinkedHashMap<Bytes, Submission> submitted = new LinkedHashMap<>();

    /** A clip in the engine, and when it was submitted (wall clock; {@link #UNTIMED} until the first drain after {@code init}). */
    private static final class Submission {
        final NarrationJob job;
        long atMillis;

        Submission(NarrationJob job, long atMillis) {
            this.job = job;
            this.atMillis = atMillis;
        }
    }

    /** Submitted in {@code init}, where the context's wall clock is not set yet: timed from the first drain. */
    private static final long UNTIMED = -1;
    private boolean initialised;
    private ProcessorContext<String, Object> context;
    private KeyValueStore<Bytes, StoredFrame> frames;
    private KeyValueStore<String, WindowProgress> progress;
    private KeyValueStore<Bytes, PendingClip> pending;
    private ClipAlerts alerts;

    ClipWindowProcessor(NarrationEngine engine, NarratorConfig config, PromptLibrary prompts, AlertRules alertRules) {
        this.engine = engine;
        this.config = config;
        this.prompts = prompts;
        this.alertRules = alertRules;
        this.metrics = engine.metrics();
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.frames = context.getStateStore(NarratorStores.FRAMES);
        this.progress = context.getStateStore(NarratorStores.PROGRESS);
        this.pending = context.getStateStore(NarratorStores.PENDING);
        this.alerts = new ClipAlerts(context.getStateStore(NarratorStores.ALERT_COOLDOWNS), metrics);
        context.schedule(Duration.ofMillis(config.drainIntervalMs()), PunctuationType.WALL_CLOCK_TIME, this::drain);
        long idleCheck = Math.max(10, Math.min(1000, config.idleTimeoutMs() / 2));
        context.schedule(Duration.ofMillis(idleCheck), PunctuationType.WALL_CLOCK_TIME, this::flushIdle);
        int resubmitted = 0;
        try (KeyValueIterator<Bytes, PendingClip> all = pending.all()) {
            while (all.hasNext()) {
                submit(all.next().value);
                resubmitted++;
            }
        }
        if (resubmitted > 0) LOG.info("task {}: re-submitted {} pending clips after restore", context.taskId(), resubmitted);
        initialised = true;
    }

    @Override
    public void process(Record<String, SampledFrame> record) {
        String streamId = record.key();
        long t = record.value().timestampMicros();
        long now = context.currentSystemTimeMs();
        long window = windowMicros(streamId);
        int hopSeconds = hopSeconds(streamId);
        long hop = hopSeconds * 1_000_000L;
        long phase = config.windowPhase().offsetMicros(streamId, hopSeconds);
        WindowProgress p = progress.get(streamId);
        if (p != null && record.value().clockJumpedBack()) p = restartAt(streamId, p, t, window, hop, phase, now);
        if (p == null) {
            p = new WindowProgress(WindowRule.endAfter(t, hop, phase), hop, 0L, null, now, false);
        } else if (p.getHopMicros() != hop || Math.floorMod(p.getNextWindowEndMicros() - phase, hop) != 0) {
            // the hop or the phase changed (a prompt's override, or window.phase on restart): the first end on the new grid
            long realigned = WindowRule.endAfter(p.getNextWindowEndMicros() - 1, hop, phase);
            p = WindowProgress.newBuilder(p).setHopMicros(hop).setNextWindowEndMicros(realigned).build();
        }
        WindowRule.Advance advance = WindowRule.advance(p.getNextWindowEndMicros(), t, window, hop, phase, frameTimes(streamId));
        long clipIndex = p.getNextClipIndex();
        for (WindowRule.Window w : advance.closed())
            closeWindow(streamId, clipIndex++, w.startMicros(), w.endMicros(), framesIn(streamId, w.startMicros(), w.endMicros()), p.getPreviousCaption(), now);
        if (advance.emptySkipped() > 0) metrics.emptyWindows(advance.emptySkipped());
        long nextEnd = advance.nextEndMicros();
        deleteFramesBefore(streamId, nextEnd - window);
        progress.put(streamId, WindowProgress.newBuilder(p)
                .setNextWindowEndMicros(nextEnd)
                .setNextClipIndex(clipIndex)
                .setLastActivityMillis(now)
                .setIdleFlushed(false)
                .build());
    }

    @Override
    public void close() {
        completions.close();
    }

    /**
     * The stream's clock jumped back to {@code t} ({@link StreamClocks}): the open window of the old time is closed with
     * the frames it holds (unless the stream's idle flush closed it already), every other frame of the old time is
     * dropped, and windows start again from {@code t}, clip indexes going on.
     */
    private WindowProgress restartAt(String streamId, WindowProgress p, long t, long window, long hop, long phase, long now) {
        long end = p.getNextWindowEndMicros();
        long clipIndex = p.getNextClipIndex();
        if (!p.getIdleFlushed()) {
            List<StoredFrame> open = framesIn(streamId, end - window, end).stream()
                    .filter(f -> f.getTimestampMicros() != t).toList();
            if (!open.isEmpty()) closeWindow(streamId, clipIndex++, end - window, end, open, p.getPreviousCaption(), now);
        }
        List<Bytes> old = new ArrayList<>();
        try (KeyValueIterator<Bytes, StoredFrame> it = frames.range(StateKeys.of(streamId, 0), StateKeys.of(streamId, Long.MAX_VALUE))) {
            while (it.hasNext()) {
                Bytes key = it.next().key;
                if (StateKeys.number(key) != t) old.add(key);
            }
        }
        old.forEach(frames::delete);
        LOG.info("stream {}: its clock jumped back to {} µs (its windows stood at {} µs); windows restart there, {} frames of the old time dropped",
                streamId, t, end, old.size());
        return new WindowProgress(WindowRule.endAfter(t, hop, phase), hop, clipIndex, p.getPreviousCaption(), now, false);
    }

    private void flushIdle(long now) {
        List<KeyValue<String, WindowProgress>> idle = new ArrayList<>();
        try (KeyValueIterator<String, WindowProgress> all = progress.all()) {
            while (all.hasNext()) {
                KeyValue<String, WindowProgress> kv = all.next();
                if (!kv.value.getIdleFlushed() && now - kv.value.getLastActivityMillis() >= config.idleTimeoutMs()) idle.add(kv);
            }
        }
        for (KeyValue<String, WindowProgress> kv : idle) {
            String streamId = kv.key;
            WindowProgress p = kv.value;
            long window = windowMicros(streamId);
            long end = p.getNextWindowEndMicros();
            WindowProgress.Builder next = WindowProgress.newBuilder(p).setIdleFlushed(true);
            if (WindowRule.holdsFrames(end, window, frameTimes(streamId))) {
                closeWindow(streamId, p.getNextClipIndex(), end - window, end, framesIn(streamId, end - window, end), p.getPreviousCaption(), now);
                next.setNextClipIndex(p.getNextClipIndex() + 1).setNextWindowEndMicros(end + p.getHopMicros());
                deleteFramesBefore(streamId, end + p.getHopMicros() - window);
                metrics.idleFlush();
                LOG.debug("stream {} idle for {} ms: flushed window ending at {} µs", streamId, now - p.getLastActivityMillis(), end);
            }
            progress.put(streamId, next.build());
        }
    }

    private void closeWindow(String streamId, long clipIndex, long start, long end, List<StoredFrame> frames, String previousCaption, long now) {
        int maxFrames = engine.narration().modelInfo().maxFrames();
        if (frames.size() > maxFrames) metrics.framesTruncated(frames.size() - maxFrames);
        frames = WindowRule.latest(frames, maxFrames);
        PendingClip clip = new PendingClip(streamId, clipIndex, start, end, new ArrayList<>(frames),
                config.contextPreviousCaption() ? previousCaption : null, now);
        pending.put(StateKeys.of(streamId, clipIndex), clip);
        metrics.clipSubmitted();
        submit(clip);
    }

    private void submit(PendingClip clip) {
        Optional<CompiledPrompt> prompt = prompts.forStream(clip.getStreamId());
        NarrationJob.Prompt jobPrompt = new NarrationJob.Prompt(
                prompt.map(CompiledPrompt::examples).orElse(List.of()),
                clip.getPreviousCaption(),
                prompt.map(CompiledPrompt::settings).orElse(prompts.defaultSettings()),
                prompt.map(CompiledPrompt::version).orElse(null));
        NarrationJob job = new NarrationJob(clip.getStreamId(), clip.getClipIndex(), clip.getFrames(), jobPrompt, clip.getClosedAtMillis(), completions,
                alertRules.forStream(clip.getStreamId()));
        submitted.put(StateKeys.of(job.streamId(), job.clipIndex()), new Submission(job, initialised ? context.currentSystemTimeMs() : UNTIMED));
        engine.submit(job);
    }

    /**
     * Publishes finished narrations, each stream's in clip order: a completion whose stream still has an earlier
     * clip pending (narrated in another batch that has not finished) is held until that one is published. Clips
     * submitted longer than {@code clip.timeout.ms} ago and not completed are completed here with an error.
     */
    private void drain(long now) {
        NarrationCompletion done;
        while ((done = completions.poll()) != null) {
            submitted.remove(StateKeys.of(done.job().streamId(), done.job().clipIndex()));
            held.add(done);
        }
        timeOut(now);
        if (held.isEmpty()) return;
        held.sort(Comparator.comparingLong((NarrationCompletion c) -> c.job().clipIndex()));
        boolean published = true;
        while (published) {
            published = false;
            for (Iterator<NarrationCompletion> it = held.iterator(); it.hasNext(); ) {
                NarrationCompletion c = it.next();
                if (earlierClipPending(c.job())) continue;
                it.remove();
                publish(c);
                published = true;
            }
        }
    }

    /** Completes with an error every clip submitted at least {@code clip.timeout.ms} ago whose narration has not come back. */
    private void timeOut(long now) {
        for (Iterator<Map.Entry<Bytes, Submission>> it = submitted.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Bytes, Submission> e = it.next();
            Submission submission = e.getValue();
            if (submission.atMillis == UNTIMED) submission.atMillis = now;
            long waited = now - submission.atMillis;
            if (waited < config.clipTimeoutMs()) {
                if (submission.atMillis == now) continue; // re-submitted in init, timed from now on: the next may be too
                break; // oldest first: the rest are younger
            }
            it.remove();
            if (pending.get(e.getKey()) == null) continue;
            NarrationJob job = submission.job;
            metrics.clipSkipped("timeout");
            LOG.warn("clip {} of stream {} not narrated {} ms after it was submitted: published with an error", job.clipIndex(), job.streamId(), waited);
            held.add(new NarrationCompletion(job, ClipNarration.failed("not narrated within clip.timeout.ms=" + config.clipTimeoutMs()
                    + " ms: its narration was lost or is stuck (see narrator_engine_* metrics and the log)", 0), waited, 0));
        }
    }

    private boolean earlierClipPending(NarrationJob job) {
        if (job.clipIndex() == 0) return false;
        try (KeyValueIterator<Bytes, PendingClip> it = pending.range(StateKeys.of(job.streamId(), 0), StateKeys.of(job.streamId(), job.clipIndex() - 1))) {
            return it.hasNext();
        }
    }

    private void publish(NarrationCompletion done) {
        NarrationJob job = done.job();
        Bytes key = StateKeys.of(job.streamId(), job.clipIndex());
        PendingClip clip = pending.get(key);
        if (clip == null) {
            metrics.completionDropped("duplicate");
            return;
        }
        pending.delete(key);
        ClipNarration result = done.result();
        long now = context.currentSystemTimeMs();
        WindowProgress p = progress.get(job.streamId());
        String previous = p == null ? null : p.getPreviousCaption();
        boolean suppressed = result.ok() && config.suppressRepeats() && result.text().equals(previous);
        long decodeMs = clip.getFrames().stream().mapToLong(StoredFrame::getDecodeMicros).sum() / 1000;
        long visionMs = done.visionMs();
        long totalMs = Math.max(0, now - clip.getClosedAtMillis());
        ModelInfo model = engine.narration().modelInfo();
        Caption caption = Caption.newBuilder()
                .setStreamId(job.streamId())
                .setClipIndex(job.clipIndex())
                .setWindowStartMicros(clip.getWindowStartMicros())
                .setWindowEndMicros(clip.getWindowEndMicros())
                .setFrameTimestamps(clip.getFrames().stream().map(StoredFrame::getTimestampMicros).toList())
                .setFrameSequences(clip.getFrames().stream().map(StoredFrame::getSequence).toList())
                .setText(result.ok() ? result.text() : "")
                .setLogProb(result.ok() && !Double.isNaN(result.logProb()) ? result.logProb() : null)
                .setPromptVersion(job.prompt().version())
                .setModelName(model.name())
                .setModelVersion(model.version())
                .setLatency(new CaptionLatency(done.queueMs(), decodeMs, visionMs, result.generationMs(), totalMs))
                .setError(result.error())
                .setCreatedAtMillis(now)
                .build();
        // alerts are about the clip: published with its caption, in the same transaction, and also when its caption is suppressed
        List<Alert> matched = alerts.of(done, caption, now);
        for (Alert alert : matched) context.forward(new Record<String, Object>(job.streamId(), alert, now), NarratorTopology.ALERT_SINK);
        if (suppressed) {
            metrics.captionSuppressed();
            return;
        }
        // Kafka timestamp = wall clock: event times may start at 0 (PTS), and retention must not delete captions early
        context.forward(new Record<String, Object>(job.streamId(), caption, now), NarratorTopology.CAPTION_SINK);
        metrics.captionPublished(result.ok());
        metrics.latency("queue", done.queueMs());
        metrics.latency("decode", decodeMs);
        metrics.latency("vision", visionMs);
        metrics.latency("generation", result.generationMs());
        metrics.latency("total", totalMs);
        if (result.ok() && p != null) progress.put(job.streamId(), WindowProgress.newBuilder(p).setPreviousCaption(result.text()).build());
    }

    private List<StoredFrame> framesIn(String streamId, long fromMicros, long toMicrosExclusive) {
        List<StoredFrame> in = new ArrayList<>();
        if (toMicrosExclusive <= 0) return in;
        try (KeyValueIterator<Bytes, StoredFrame> it = frames.range(
                StateKeys.of(streamId, Math.max(0, fromMicros)), StateKeys.of(streamId, toMicrosExclusive - 1))) {
            while (it.hasNext()) in.add(it.next().value);
        }
        return in;
    }

    /** The stream's kept frames as {@link WindowRule} reads them. */
    private WindowRule.FrameTimes frameTimes(String streamId) {
        return micros -> {
            try (KeyValueIterator<Bytes, StoredFrame> it = frames.range(StateKeys.of(streamId, Math.max(0, micros)), StateKeys.of(streamId, Long.MAX_VALUE))) {
                return it.hasNext() ? OptionalLong.of(StateKeys.number(it.next().key)) : OptionalLong.empty();
            }
        };
    }

    private void deleteFramesBefore(String streamId, long micros) {
        if (micros <= 0) return;
        List<Bytes> old = new ArrayList<>();
        try (KeyValueIterator<Bytes, StoredFrame> it = frames.range(StateKeys.of(streamId, 0), StateKeys.of(streamId, micros - 1))) {
            while (it.hasNext()) old.add(it.next().key);
        }
        old.forEach(frames::delete);
    }

    private long windowMicros(String streamId) {
        int seconds = prompts.forStream(streamId).map(CompiledPrompt::windowSeconds).filter(s -> s > 0).orElse(config.windowSeconds());
        return seconds * 1_000_000L;
    }

    private int hopSeconds(String streamId) {
        return prompts.forStream(streamId).map(CompiledPrompt::hopSeconds).filter(s -> s > 0).orElse(config.hopSeconds());
    }
}
