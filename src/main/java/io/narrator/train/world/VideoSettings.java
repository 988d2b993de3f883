package io.narrator.train.world;

/**
 * How a {@link ClipWriter} encodes: container, frame size (even, as H.264 in 4:2:0 needs), frame rate,
 * and bit rate (0 picks one from the size and rate that keeps synthetic frames close to the original).
 */
public record VideoSettings(VideoContainer container, int width, int height, double fps, int bitrate) {

    /** The smallest bit rate chosen automatically, in bits per second. */
    public static final int MIN_AUTO_BITRATE = 400_000;
    /** Automatic bit rate per pixel per frame. */
    private static final double AUTO_BITS_PER_PIXEL = 0.25;

    public VideoSettings {
        if (container == null) throw new IllegalArgumentException("video container must not be null");
        if (width < 16 || height < 16 || width > 4096 || height > 4096)
            throw new IllegalArgumentException("video size must be between 16x16 and 4096x4096, got " + width + "x" + height);
        if (width % 2 != 0 || height % 2 != 0)
            throw new IllegalArgumentException("H.264 needs an even width and height, got " + width + "x" + height);
        if (!(fps > 0 && fps <= 240)) throw new IllegalArgumentException("fps must be in (0, 240], got " + fps);
        if (bitrate < 0) throw new IllegalArgumentException("bitrate must not be negative (0 = automatic), got " + bitrate);
        if (bitrate == 0) bitrate = (int) Math.max(MIN_AUTO_BITRATE, Math.min(20_000_000, width * (double) height * fps * AUTO_BITS_PER_PIXEL));
    }

    /** Settings with an automatic bit rate. */
    public VideoSettings(VideoContainer container, int width, int height, double fps) {
        this(container, width, height, fps, 0);
    }
}
