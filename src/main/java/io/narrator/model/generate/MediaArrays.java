package io.narrator.model.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.narrator.model.vision.VisionFeatures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A batch's media as arrays, one array per distinct media item: items with the same frames (the same
 * patch tokens, value for value) in any request share one array, so {@code Flamingo.visualTokens}
 * resamples them once. A prompt's few-shot examples are the same for every stream that uses the prompt,
 * and every beam of a request shares its media.
 */
final class MediaArrays {
    private MediaArrays() {}

    /** Each request's media as (F, P, Dv) arrays on {@code m}, equal items sharing one array. */
    static List<List<NDArray>> of(NDManager m, List<List<Media>> mediaPerRequest) {
        Map<Content, NDArray> created = new HashMap<>();
        Map<Media, NDArray> seen = new IdentityHashMap<>(); // the same object again: no need to read its values
        List<List<NDArray>> out = new ArrayList<>(mediaPerRequest.size());
        for (List<Media> items : mediaPerRequest) {
            List<NDArray> row = new ArrayList<>(items.size());
            for (Media item : items)
                row.add(seen.computeIfAbsent(item, i -> created.computeIfAbsent(new Content(i), c -> create(m, i))));
            out.add(row);
        }
        return out;
    }

    /** One media item as (F, P, Dv) on {@code m}. */
    private static NDArray create(NDManager m, Media item) {
        VisionFeatures first = item.frames().get(0);
        int per = first.values().length;
        float[] all = new float[item.frames().size() * per];
        for (int f = 0; f < item.frames().size(); f++) System.arraycopy(item.frames().get(f).values(), 0, all, f * per, per);
        return m.create(all, new Shape(item.frames().size(), first.patches(), first.dim())); // (F, P, Dv)
    }

    /** A media item compared by its frames' shapes and values (VisionFeatures compares its array by identity). */
    private static final class Content {
        private static final int HASHED_VALUES = 64; // per frame
        private final Media media;
        private final int hash;

        Content(Media media) {
            this.media = media;
            int h = media.frames().size();
            for (VisionFeatures f : media.frames()) {
                h = 31 * (31 * h + f.patches()) + f.dim();
                // a sample of the values: items with equal hashes are compared value for value
                float[] v = f.values();
                int step = Math.max(1, v.length / HASHED_VALUES);
                for (int i = 0; i < v.length; i += step) h = 31 * h + Float.floatToIntBits(v[i]);
            }
            this.hash = h;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Content other) || other.hash != hash) return false;
            List<VisionFeatures> a = media.frames(), b = other.media.frames();
            if (a.size() != b.size()) return false;
            for (int i = 0; i < a.size(); i++)
                if (a.get(i).patches() != b.get(i).patches() || a.get(i).dim() != b.get(i).dim()
                        || !Arrays.equals(a.get(i).values(), b.get(i).values())) return false;
            return true;
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
