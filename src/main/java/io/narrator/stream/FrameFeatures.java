package io.narrator.stream;

import io.narrator.avro.state.StoredFrame;
import io.narrator.avro.state.StoredImage;
import io.narrator.ingest.FrameEncoding;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The narration engine's vision stage: the vision features of sampled frames, computed on the engine's thread, each
 * frame normally once although it is in two overlapping windows.
 *
 * <p>Stream threads {@link #offer} the vision input of every frame they keep (decoded and resized there). The
 * engine encodes offered frames ahead of their clips when it has no clip to narrate ({@link #encodeDue}: once
 * {@code vision.batch.max} wait or the oldest has waited {@code vision.batch.wait.ms}), and {@link #resolve}s a
 * batch's clips into features: from the cache, from offered inputs, or (after a restart, when the cache is empty,
 * or when an offered frame was dropped) by decoding the image stored with the clip; all frames that need the
 * encoder go through it in batched calls of at most {@code vision.batch.max}. Features are kept in a bounded
 * least-recently-used cache of {@code vision.cache.frames} frames keyed by stream, event time and a hash of the
 * stored image bytes, so a frame is never mistaken for another. Nothing here is state of record: a lost offer or
 * an evicted feature only costs encoding again. Thread-safe.
 */
final class FrameFeatures {
    private static final Logger LOG = LoggerFactory.getLogger(FrameFeatures.class);

    /** A frame's identity: its stream, its event time and a hash of its stored image bytes. */
    record Key(String streamId, long timestampMicros, int imageHash) {
        static Key of(String streamId, long timestampMicros, StoredImage image) {
            return new Key(streamId, timestampMicros, image.getData().duplicate().hashCode());
        }
    }

    /** One frame's features and the share of its encoder call's wall time it took. */
    private record Encoded(byte[] features, long visionMicros) {}

    private record Offered(float[] input, long offeredAtNanos) {}

    /** The features of one clip's frames in order and the vision time they took, or why they could not be computed. */
    record Resolved(List<byte[]> features, long visionMicros, String error) {
        boolean ok() {
            return error == null;
        }
    }

    private final Narration narration;
    private final NarratorMetrics metrics;
    private final int batchMax;
    private final long waitNanos;
    private final int maxOffered;
    private final Object lock = new Object();
    private final LinkedHashMap<Key, Encoded> cache;
    private final LinkedHashMap<Key, Offered> offered = new LinkedHashMap<>();

    FrameFeatures(Narration narration, NarratorMetrics metrics, int batchMax, long waitMs, int cacheFrames) {
        if (batchMax < 1) throw new IllegalArgumentException("vision.batch.max must be >= 1, got " + batchMax);
        if (waitMs < 0) throw new IllegalArgumentException("vision.batch.wait.ms must be >= 0, got " + waitMs);
        if (cacheFrames < 1) throw new IllegalArgumentException("vision.cache.frames must be >= 1, got " + cacheFrames);
        this.narration = narration;
        this.metrics = metrics;
        this.batchMax = batchMax;
        this.waitNanos = TimeUnit.MILLISECONDS.toNanos(waitMs);
        this.maxOffered = Math.max(batchMax, cacheFrames / 4);
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Encoded> eldest) {
                return size() > cacheFrames;
            }
        };
    }

    /**
     * A stream thread kept a frame: its vision input waits to be encoded ahead of its clip. When more than
     * {@code vision.cache.frames / 4} wait (the engine is behind), the oldest is forgotten and will be decoded again
     * from its stored image when its clip is narrated.
     */
    void offer(Key key, float[] input) {
        synchronized (lock) {
            if (cache.containsKey(key) || offered.containsKey(key)) return;
            offered.put(key, new Offered(input, System.nanoTime()));
            if (offered.size() > maxOffered) {
                var eldest = offered.keySet().iterator();
                eldest.next();
                eldest.remove();
            }
        }
    }

    /** How long until offered frames are due to be encoded ahead ({@link #encodeDue}): 0 if now, {@link Long#MAX_VALUE} if none wait. */
    long nanosUntilDue() {
        synchronized (lock) {
            if (offered.isEmpty()) return Long.MAX_VALUE;
            if (offered.size() >= batchMax) return 0;
            long since = offered.values().iterator().next().offeredAtNanos();
            return Math.max(0, since + waitNanos - System.nanoTime());
        }
    }

    /** Encodes up to {@code vision.batch.max} of the oldest offered frames in one call, if they are due; returns how many. */
    int encodeDue() {
        Map<Key, float[]> batch = new LinkedHashMap<>();
        synchronized (lock) {
            if (offered.isEmpty()) return 0;
            if (offered.size() < batchMax && System.nanoTime() - offered.values().iterator().next().offeredAtNanos() < waitNanos) return 0;
            var it = offered.entrySet().iterator();
            while (it.hasNext() && batch.size() < batchMax) {
                var e = it.next();
                batch.put(e.getKey(), e.getValue().input());
                it.remove();
            }
        }
        try {
            encode(batch, new HashMap<>());
        } catch (RuntimeException e) {
            LOG.warn("encoding {} frames ahead of their clips failed; they are encoded when their clips need them: {}", batch.size(), e.toString());
            return 0;
        }
        metrics.framesEncoded("ahead", batch.size());
        return batch.size();
    }

    /**
     * The features of each job's frames, in order: frames with features stored at intake as they are, the others from
     * the cache or encoded now (all of the batch's misses together). A clip whose frame cannot be decoded or encoded
     * gets an error instead; the other clips are not affected by a decoding failure.
     */
    List<Resolved> resolve(List<NarrationJob> jobs) {
        Map<Key, float[]> toEncode = new LinkedHashMap<>();
        Map<Key, Encoded> found = new HashMap<>();
        Map<Key, String> failed = new HashMap<>();
        List<List<Key>> keys = new ArrayList<>(jobs.size());
        int hits = 0;
        for (NarrationJob job : jobs) {
            List<Key> clipKeys = new ArrayList<>(job.frames().size());
            for (StoredFrame frame : job.frames()) {
                if (frame.getImage() == null) {
                    clipKeys.add(null);
                    continue;
                }
                Key key = Key.of(job.streamId(), frame.getTimestampMicros(), frame.getImage());
                clipKeys.add(key);
                if (found.containsKey(key) || toEncode.containsKey(key) || failed.containsKey(key)) continue;
                Offered waiting;
                synchronized (lock) {
                    Encoded hit = cache.get(key);
                    if (hit != null) {
                        found.put(key, hit);
                        hits++;
                        continue;
                    }
                    waiting = offered.remove(key);
                }
                if (waiting != null) {
                    toEncode.put(key, waiting.input());
                    continue;
                }
                try {
                    toEncode.put(key, narration.visionInput(decode(frame.getImage())));
                } catch (RuntimeException e) {
                    failed.put(key, "cannot decode the stored image of the frame at " + frame.getTimestampMicros() + " µs: " + e.getMessage());
                }
            }
            keys.add(clipKeys);
        }
        metrics.visionCache(hits, toEncode.size());
        String visionError = null;
        try {
            encode(toEncode, found);
            metrics.framesEncoded("on_demand", toEncode.size());
        } catch (RuntimeException e) {
            visionError = "vision encoder failed: " + e.getMessage();
        }
        List<Resolved> out = new ArrayList<>(jobs.size());
        for (int j = 0; j < jobs.size(); j++) {
            List<StoredFrame> frames = jobs.get(j).frames();
            List<byte[]> features = new ArrayList<>(frames.size());
            long micros = 0;
            String error = null;
            for (int i = 0; i < frames.size() && error == null; i++) {
                StoredFrame frame = frames.get(i);
                Key key = keys.get(j).get(i);
                if (key == null) {
                    features.add(Buffers.toArray(frame.getFeatures()));
                    micros += frame.getVisionMicros();
                    continue;
                }
                Encoded e = found.get(key);
                if (e != null) {
                    features.add(e.features());
                    micros += e.visionMicros();
                } else {
                    error = failed.containsKey(key) ? failed.get(key) : visionError;
                }
            }
            out.add(error == null ? new Resolved(features, micros, null) : new Resolved(List.of(), 0, error));
        }
        return out;
    }

    /** Encodes inputs in calls of at most {@code vision.batch.max}; caches their features and adds them to {@code out} call by call. */
    private void encode(Map<Key, float[]> inputs, Map<Key, Encoded> out) {
        List<Map.Entry<Key, float[]>> all = new ArrayList<>(inputs.entrySet());
        for (int from = 0; from < all.size(); from += batchMax) {
            List<Map.Entry<Key, float[]>> chunk = all.subList(from, Math.min(all.size(), from + batchMax));
            long start = System.nanoTime();
            List<byte[]> features = narration.encodeVisionInputs(chunk.stream().map(Map.Entry::getValue).toList());
            if (features == null || features.size() != chunk.size())
                throw new IllegalStateException("Narration.encodeVisionInputs returned " + (features == null ? "null" : features.size())
                        + " features for " + chunk.size() + " frames");
            long micros = (System.nanoTime() - start) / 1000 / chunk.size();
            synchronized (lock) {
                for (int i = 0; i < chunk.size(); i++) {
                    Encoded e = new Encoded(features.get(i), micros);
                    cache.put(chunk.get(i).getKey(), e);
                    out.put(chunk.get(i).getKey(), e);
                }
            }
        }
    }

    /** Decodes a stored image again (it decoded when it was kept, so this fails only if the store was tampered with). */
    private static BufferedImage decode(StoredImage image) {
        FrameEncoding encoding = FrameEncoding.parse(image.getEncoding().toString())
                .orElseThrow(() -> new IllegalArgumentException("unknown encoding " + image.getEncoding()));
        return ImageDecoder.decode(encoding, Buffers.toArray(image.getData()), image.getWidth(), image.getHeight(), Long.MAX_VALUE);
    }

    /** Frames whose vision input waits to be encoded ahead (for tests and status). */
    int offeredFrames() {
        synchronized (lock) {
            return offered.size();
        }
    }
}
