package io.narrator.bench;

import java.util.List;

/**
 * Everything {@code narrator bench pipeline} measured, as written to its JSON file.
 *
 * @param machine where it ran
 * @param model name and version of the model
 * @param meanFrameBytes mean size of a sent JPEG frame
 * @param latencyTargetMs Narrator's p99 target for window close to caption
 * @param runs one run per stream count
 * @param overhead the pipeline against the model alone, when {@code --overhead} was given (else null)
 */
public record PipelineReport(Machine machine, String model, double meanFrameBytes, double latencyTargetMs, List<PipelineResult> runs,
        OverheadResult overhead) {
    public PipelineReport {
        runs = List.copyOf(runs);
    }
}
