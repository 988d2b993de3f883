package io.narrator.stream;

/**
 * The result of narrating one clip: the text and its total log-probability, time spent in the model
 * (resampler and generation, in milliseconds), or an error message when this clip could not be narrated.
 */
public record ClipNarration(String text, double logProb, long generationMs, String error) {
    public static ClipNarration failed(String error, long generationMs) {
        return new ClipNarration("", Double.NaN, generationMs, error);
    }

    public boolean ok() {
        return error == null;
    }
}
