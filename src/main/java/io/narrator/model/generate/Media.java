package io.narrator.model.generate;

import io.narrator.model.vision.VisionFeatures;
import java.util.List;

/**
 * One media item of a prompt (an image is one frame, a clip several, in time order), as the vision
 * encoder's patch tokens of each frame.
 */
public record Media(List<VisionFeatures> frames) {
    public Media {
        if (frames == null || frames.isEmpty()) throw new IllegalArgumentException("a media item needs at least one frame");
        frames = List.copyOf(frames);
        VisionFeatures first = frames.get(0);
        for (VisionFeatures f : frames)
            if (f.patches() != first.patches() || f.dim() != first.dim())
                throw new IllegalArgumentException("all frames of a media item must have the same feature shape; got "
                        + first.patches() + "×" + first.dim() + " and " + f.patches() + "×" + f.dim());
    }

    public static Media of(VisionFeatures... frames) {
        return new Media(List.of(frames));
    }
}
