package io.narrator.model.generate;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongPredicate;

/**
 * How a batch's prompts split into a shared prefix and each request's own suffix. A prompt's prefix is
 * everything before its last media marker (a text-only prompt: everything but its last token): for a
 * few-shot prompt, the examples (and the BOS token before them, if the model has one). Requests whose prefixes have the same tokens and the same media arrays
 * (equal media share one array, see {@link MediaArrays}) get the same prefix states, since with media
 * masking no prefix token sees a later media item; so each distinct prefix goes through the language model
 * once, and every request then feeds only its suffix. Streams narrated with one few-shot prompt share its
 * examples this way.
 *
 * @param prefixes the distinct prefixes, in order of first use
 * @param representatives for each distinct prefix, the first request that has it
 * @param prefixOf for each request, the index of its prefix, or -1 when it has none
 * @param suffixes each request's own tokens after its prefix (never empty)
 */
record SharedPrefixes(List<long[]> prefixes, int[] representatives, int[] prefixOf, List<long[]> suffixes) {

    /** The split of {@code prompts}, or empty when no two requests share a prefix (one pass over whole prompts is cheaper). */
    static Optional<SharedPrefixes> plan(List<long[]> prompts, List<List<NDArray>> media, LongPredicate isMediaMarker) {
        Map<Key, Integer> distinct = new LinkedHashMap<>();
        List<long[]> prefixes = new ArrayList<>();
        List<Integer> representatives = new ArrayList<>();
        int[] prefixOf = new int[prompts.size()];
        int[] users = new int[prompts.size()];
        List<long[]> suffixes = new ArrayList<>();
        boolean shared = false;
        for (int r = 0; r < prompts.size(); r++) {
            long[] ids = prompts.get(r);
            int split = ids.length - 1;
            while (split > 0 && !isMediaMarker.test(ids[split])) split--;
            if (!isMediaMarker.test(ids[split])) split = ids.length - 1;
            suffixes.add(Arrays.copyOfRange(ids, split, ids.length));
            if (split == 0) {
                prefixOf[r] = -1;
                continue;
            }
            long[] prefix = Arrays.copyOf(ids, split);
            int images = 0;
            for (long id : prefix) if (isMediaMarker.test(id)) images++;
            Key key = new Key(prefix, media.get(r).subList(0, images));
            Integer g = distinct.get(key);
            if (g == null) {
                g = prefixes.size();
                distinct.put(key, g);
                prefixes.add(prefix);
                representatives.add(r);
            }
            prefixOf[r] = g;
            shared |= ++users[g] > 1;
        }
        if (!shared) return Optional.empty();
        return Optional.of(new SharedPrefixes(prefixes, representatives.stream().mapToInt(Integer::intValue).toArray(), prefixOf, suffixes));
    }

    /** A prefix: its tokens, and its media compared by identity. */
    private record Key(long[] ids, List<NDArray> media) {
        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Key other) || !Arrays.equals(ids, other.ids) || media.size() != other.media.size()) return false;
            for (int i = 0; i < media.size(); i++) if (media.get(i) != other.media.get(i)) return false;
            return true;
        }

        @Override
        public int hashCode() {
            int h = Arrays.hashCode(ids);
            for (NDArray a : media) h = 31 * h + System.identityHashCode(a);
            return h;
        }
    }
}
