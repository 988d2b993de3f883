package io.narrator.stream;

import java.awt.image.BufferedImage;
import java.util.List;

/**
 * The model as the streaming application sees it: frames in, per-frame features out; clips of
 * features in, captions out. The real implementation runs the Flamingo model; topology tests use a fake.
 *
 * <p>Implementations are thread-safe: the one engine per JVM calls them from its batching thread,
 * stream threads call {@link #encodeFrames} directly.
 */
public interface Narration extends AutoCloseable {

    /** Name, version and input geometry of the model behind this narration. */
    ModelInfo modelInfo();

    /**
     * Encodes decoded frames (any size: resizing and normalisation happen inside) into opaque
     * per-frame vision features, one entry per image, in order. Each frame is encoded independently,
     * so the result for a frame never depends on the others in the list.
     */
    List<byte[]> encodeFrames(List<BufferedImage> frames);

    /**
     * Narrates a batch of clips (possibly from different streams) in one batched generation.
     * Returns one result per request, in order. A request that fails on its own yields a result with
     * {@link ClipNarration#error()} set; it does not fail the others.
     */
    List<ClipNarration> narrate(List<ClipRequest> clips);

    @Override
    void close();
}
