package io.narrator.bench;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One run of {@code narrator bench pipeline}: N live streams through the embedded broker and the whole
 * application, and what came out. Latencies are in milliseconds; "end to end" runs from a window's end (in
 * event time, which is wall-clock time for these live streams) to the moment its caption became visible to a
 * {@code read_committed} subscriber; "in the app" is the caption's own {@code latency.totalMs} (window closed in
 * the topology to caption published). Windows ending in the warm-up are left out of the latencies only.
 *
 * @param streams concurrent streams
 * @param fps frames per second each stream sends
 * @param width frame width
 * @param height frame height
 * @param seconds seconds of video each stream sent
 * @param warmupSeconds windows ending within this long after the start are left out of the latencies
 * @param windowSeconds clip length
 * @param hopSeconds a clip every hop seconds
 * @param settings the configuration the benchmark set on top of Narrator's defaults (and the user's {@code --set})
 * @param keptUp every expected window was captioned, none with an error, and neither the frame backlog nor
 *     the narration queue ever held more than one hop of work after the warm-up
 * @param expectedCaptions windows that closed while the streams were sending
 * @param captions of those, captions with text
 * @param missing of those, windows without any caption when the benchmark stopped waiting
 * @param errors captions with an error (skipped under overload, failed)
 * @param duplicates captions seen more than once for the same window (exactly-once makes this 0)
 * @param endToEndMs window end to caption visible
 * @param inAppMs the caption's {@code latency.totalMs}
 * @param captionsPerSecond captions with text per second of the measured period
 * @param breakdown where the time went
 * @param resources CPU and memory of the process over the measured period
 * @param maxSendLateMs how late the load generator sent its latest tick (its own lag; should be ~0)
 * @param maxBacklogFrames most frames sent but not yet processed by the application, after the warm-up
 * @param maxQueueMs longest wait of a clip from window close to the start of its narration, after the warm-up
 * @param errorSamples up to 5 distinct caption errors
 */
public record PipelineResult(
        int streams,
        double fps,
        int width,
        int height,
        double seconds,
        double warmupSeconds,
        int windowSeconds,
        int hopSeconds,
        Map<String, String> settings,
        boolean keptUp,
        long expectedCaptions,
        long captions,
        long missing,
        long errors,
        long duplicates,
        LatencySummary endToEndMs,
        LatencySummary inAppMs,
        double captionsPerSecond,
        Breakdown breakdown,
        Resources resources,
        double maxSendLateMs,
        long maxBacklogFrames,
        long maxQueueMs,
        List<String> errorSamples,
        int shots,
        long promptedCaptions) {

    public PipelineResult {
        settings = ordered(settings);
        errorSamples = List.copyOf(errorSamples);
    }

    /**
     * Where the time went. Per-clip figures are means over the measured captions (from {@code Caption.latency});
     * per-frame figures divide the clips' decode and vision times by their frame counts; CPU seconds are measured
     * per thread group over the whole run ({@code native and GC} is the process total minus every JVM thread:
     * PyTorch's own worker threads, the garbage collector and the JIT compiler).
     *
     * @param queueMs mean wait from window close to the start of the clip's batch
     * @param decodeMsPerFrame mean time a stream thread spends on a sampled frame's pixels: JPEG decode and the vision encoder's
     *     input (resize, normalise)
     * @param visionMsPerFrame mean vision-encoder time of a sampled frame (features are computed once per frame), wall clock
     * @param visionCpuMsPerFrame the same in CPU time of the calling thread, the narration engine's (all of it with one PyTorch
     *     thread per op)
     * @param framesPerVisionBatch mean frames per call of the vision encoder
     * @param framesEncoded frames run through the vision encoder during the run (each sampled frame once: about streams × run
     *     seconds at 1 FPS; more means frames were encoded again)
     * @param generationMsPerBatch mean time of one batched narration (resampler and text generation), wall clock
     * @param generationCpuMsPerBatch the same in CPU time of the engine's thread
     * @param clipsPerBatch mean clips narrated per batch
     * @param cpuSeconds CPU seconds by thread group
     * @param cpuShare the same as fractions of the process total
     */
    public record Breakdown(double queueMs, double decodeMsPerFrame, double visionMsPerFrame, double visionCpuMsPerFrame,
            double framesPerVisionBatch, long framesEncoded, double generationMsPerBatch, double generationCpuMsPerBatch, double clipsPerBatch,
            Map<String, Double> cpuSeconds, Map<String, Double> cpuShare) {
        public Breakdown {
            cpuSeconds = ordered(cpuSeconds);
            cpuShare = ordered(cpuShare);
        }
    }

    /**
     * CPU and memory of the benchmark's process (which holds the broker, the application and the load generator).
     *
     * @param cpuCoresMean CPU time per wall second over the measured period, in cores (this machine has {@code cores})
     * @param cpuCoresPeak the highest half-second sample
     * @param cores processors available to the JVM
     * @param heapPeakMb most heap in use
     * @param rssPeakMb most resident memory (heap, PyTorch's native tensors, everything), -1 where unknown
     */
    public record Resources(double cpuCoresMean, double cpuCoresPeak, int cores, double heapPeakMb, double rssPeakMb) {}

    static <K, V> Map<K, V> ordered(Map<K, V> map) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }
}
