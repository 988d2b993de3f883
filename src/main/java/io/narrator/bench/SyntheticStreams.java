package io.narrator.bench;

import io.narrator.train.world.RenderedFrame;
import io.narrator.train.world.WorldVideo;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Live streams of the synthetic world, pre-rendered to JPEG so that sending them costs next to nothing:
 * a few distinct world videos ("loops", each {@code loopSeconds} long) are rendered once, and stream
 * {@code i} plays loop {@code i mod loops} from its own starting offset, wrapping around. Frame {@code k}
 * of a stream is the picture at {@code k / fps} seconds. Immutable and thread-safe.
 */
public final class SyntheticStreams {
    /** JPEG quality of the frames, as most cameras use. */
    static final float JPEG_QUALITY = 0.85f;
    /** At most this many distinct loops are rendered, however many streams there are. */
    public static final int MAX_LOOPS = 8;

    private final List<byte[][]> loops;
    private final int streams;
    private final double fps;
    private final int width;
    private final int height;

    private SyntheticStreams(List<byte[][]> loops, int streams, double fps, int width, int height) {
        this.loops = loops;
        this.streams = streams;
        this.fps = fps;
        this.width = width;
        this.height = height;
    }

    /**
     * Renders the loops for {@code streams} streams of {@code width}×{@code height} frames at {@code fps}
     * (on all cores: this is set-up, not part of any measurement).
     */
    public static SyntheticStreams render(int streams, double fps, int width, int height, double loopSeconds, long seed) {
        if (streams < 1) throw new IllegalArgumentException("streams must be >= 1, got " + streams);
        if (!(loopSeconds >= 1)) throw new IllegalArgumentException("loop length must be at least 1 s, got " + loopSeconds);
        int count = Math.min(streams, MAX_LOOPS);
        List<WorldVideo> videos = IntStream.range(0, count).mapToObj(i -> new WorldVideo(seed + i, loopSeconds, fps, width, height)).toList();
        List<byte[][]> loops = videos.parallelStream().map(SyntheticStreams::encode).toList();
        return new SyntheticStreams(loops, streams, fps, width, height);
    }

    private static byte[][] encode(WorldVideo video) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        if (!writers.hasNext()) throw new IllegalStateException("this JDK has no JPEG encoder");
        ImageWriter writer = writers.next();
        try {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(JPEG_QUALITY);
            return video.frames().map(RenderedFrame::image).map(image -> jpeg(writer, param, image)).toArray(byte[][]::new);
        } finally {
            writer.dispose();
        }
    }

    private static byte[] jpeg(ImageWriter writer, ImageWriteParam param, BufferedImage image) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(image.getWidth() * image.getHeight() / 4);
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot JPEG-encode a benchmark frame", e);
        } finally {
            writer.setOutput(null);
        }
        return bytes.toByteArray();
    }

    /** The JPEG of frame {@code index} (0, 1, 2, ... at {@code fps}) of stream {@code stream}. */
    public byte[] frame(int stream, long index) {
        if (stream < 0 || stream >= streams) throw new IllegalArgumentException("stream must be in [0, " + streams + "), got " + stream);
        byte[][] loop = loops.get(stream % loops.size());
        long offset = (long) (stream / loops.size()) * loop.length / Math.max(1, (streams + loops.size() - 1) / loops.size());
        return loop[(int) Math.floorMod(index + offset, (long) loop.length)];
    }

    /** The id of stream {@code stream}: {@code cam-000}, {@code cam-001}, ... */
    public static String streamId(int stream) {
        return String.format("cam-%03d", stream);
    }

    public int streams() {
        return streams;
    }

    public double fps() {
        return fps;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** Mean size of a frame in bytes. */
    public double meanFrameBytes() {
        long bytes = 0;
        long frames = 0;
        for (byte[][] loop : loops) {
            for (byte[] f : loop) bytes += f.length;
            frames += loop.length;
        }
        return (double) bytes / frames;
    }
}
