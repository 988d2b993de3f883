package io.narrator.bench;

/**
 * {@code narrator bench pipeline --overhead}: the same clips narrated by the whole pipeline (frames sent as fast
 * as possible through the broker, sampled, decoded, encoded, windowed, narrated, published, read back) and by the
 * model alone (the vision encoder on the same sampled frames, one call per frame as the pipeline makes them, then
 * {@code Narration.narrate} on the same clips in batches of {@code batch.max}). The ratio of their throughputs shows
 * what Kafka, Avro, sampling, decoding and the state stores cost.
 *
 * @param streams streams in the run
 * @param seconds seconds of video per stream
 * @param clips clips the windows make (the model alone narrates exactly these)
 * @param pipelineCaptions of those, captions with text the pipeline published
 * @param pipelineErrors captions with an error
 * @param pipelineSeconds first frame sent to last caption read
 * @param pipelineClipsPerSecond {@code clips / pipelineSeconds}
 * @param modelVisionSeconds the model alone: encoding the sampled frames
 * @param modelNarrateSeconds the model alone: narrating the clips
 * @param modelClipsPerSecond {@code clips / (modelVisionSeconds + modelNarrateSeconds)}
 * @param ratio {@code pipelineClipsPerSecond / modelClipsPerSecond}; the target is at least {@value #TARGET_RATIO}
 * @param pipeline the pipeline run's own figures (latencies here include the backlog of an unpaced run)
 */
public record OverheadResult(
        int streams,
        double seconds,
        long clips,
        long pipelineCaptions,
        long pipelineErrors,
        double pipelineSeconds,
        double pipelineClipsPerSecond,
        double modelVisionSeconds,
        double modelNarrateSeconds,
        double modelClipsPerSecond,
        double ratio,
        PipelineResult pipeline) {

    /** Narrator's target: the pipeline keeps at least this share of the model's throughput. */
    public static final double TARGET_RATIO = 0.9;

    /** Whether the ratio meets {@link #TARGET_RATIO}. */
    public boolean meetsTarget() {
        return ratio >= TARGET_RATIO;
    }
}
