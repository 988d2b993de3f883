package io.narrator.cli;

import io.narrator.ingest.SampledMedia;
import io.narrator.ingest.TimedImage;
import io.narrator.ingest.VideoSource;
import io.narrator.model.FlamingoModel;
import io.narrator.model.generate.Media;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code --media CLIP} arguments of {@code score} and {@code generate}: each CLIP (a video file, an image,
 * or a folder of frames) sampled at 1 FPS by the ingest engine and encoded into one media item, and the
 * prompt that places them.
 */
final class ClipMedia {
    /** Frames per second a CLIP is sampled at, as in the paper. */
    static final double FPS = 1;

    private ClipMedia() {}

    /** Checks that every CLIP exists before anything slow starts; names the first that does not. */
    static void check(List<String> clips) {
        for (String clip : clips) VideoSource.parse(clip);
    }

    /** Decodes and encodes every CLIP into a media item, in order. */
    static List<Media> encode(FlamingoModel model, List<String> clips) {
        List<Media> media = new ArrayList<>(clips.size());
        for (String clip : clips) {
            List<TimedImage> frames = SampledMedia.readAll(clip, FPS);
            media.add(new Media(model.encode(frames.stream().map(TimedImage::image).toList())));
        }
        return media;
    }

    /**
     * The prompt: the user's, which must hold one media marker per CLIP as the model's tokenizer reads it, or by
     * default the model's zero-shot prompt about the CLIPs ({@link FlamingoModel#queryPrompt}: {@code <image>Output:}
     * after the CLIPs' media texts).
     */
    static String prompt(FlamingoModel model, String given, int clips) {
        if (given == null) return model.queryPrompt(clips);
        int markers = model.mediaMarkers(given);
        if (markers != clips) {
            String media = model.config().specialTokens().mediaText();
            throw new IllegalArgumentException("the prompt has " + markers + " " + media + " marker(s) but " + clips + " --media CLIP(s) were given "
                    + "(as this model's tokenizer reads the prompt): put one " + media + " where each clip goes, e.g. \"" + model.queryPrompt(clips) + "\"");
        }
        return given;
    }
}
