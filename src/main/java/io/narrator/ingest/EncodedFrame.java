package io.narrator.ingest;

import java.util.Arrays;
import java.util.Objects;

/**
 * One sampled video frame, encoded and stamped with its event time: what ingest publishes per frame.
 *
 * <p>{@code bytes} is not copied: treat it as immutable once the frame is built. Equality compares the
 * bytes' contents.
 *
 * @param streamId the stream the frame belongs to (the Kafka key)
 * @param sequence position of the frame among the frames emitted for this stream by one ingest, from 0
 * @param timestampMicros event time in microseconds since the epoch (see {@link EventClock})
 * @param width width in pixels
 * @param height height in pixels
 * @param encoding how {@code bytes} encodes the pixels
 * @param bytes the encoded image
 */
public record EncodedFrame(
        String streamId, long sequence, long timestampMicros, int width, int height, FrameEncoding encoding, byte[] bytes) {

    public EncodedFrame {
        if (streamId == null || streamId.isBlank()) throw new IllegalArgumentException("a frame needs a non-blank stream id");
        if (sequence < 0) throw new IllegalArgumentException("frame sequence must be >= 0, got " + sequence);
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("frame size must be positive, got " + width + "x" + height);
        }
        Objects.requireNonNull(encoding, "encoding");
        if (bytes == null || bytes.length == 0) throw new IllegalArgumentException("frame " + sequence + " of " + streamId + " has no bytes");
        if (encoding == FrameEncoding.RAW_RGB24 && bytes.length != (long) width * height * 3) {
            throw new IllegalArgumentException("a RAW_RGB24 frame of " + width + "x" + height + " needs " + (long) width * height * 3
                    + " bytes, got " + bytes.length);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EncodedFrame f && sequence == f.sequence && timestampMicros == f.timestampMicros && width == f.width
                && height == f.height && streamId.equals(f.streamId) && encoding == f.encoding && Arrays.equals(bytes, f.bytes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(streamId, sequence, timestampMicros, width, height, encoding) * 31 + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "EncodedFrame[" + streamId + " #" + sequence + " at " + timestampMicros + " us, " + width + "x" + height + " "
                + encoding + ", " + bytes.length + " bytes]";
    }
}
