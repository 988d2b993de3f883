package io.narrator.train.world;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * Renders scenes and episodes at one resolution with Java2D antialiasing. Pixels are a pure function
 * of (scene, time, resolution). Backgrounds are cached per scene, so rendering the frames of one clip
 * costs a buffer copy plus a few antialiased fills.
 *
 * <p>Not thread-safe: use one renderer per thread. Images returned by {@link #render} are new and never
 * touched again; {@link #renderRgb} reuses an internal buffer.
 */
public final class FrameRenderer {

    /** The smallest width or height a frame can have. */
    public static final int MIN_SIDE = 32;
    /** The largest width or height a frame can have. */
    public static final int MAX_SIDE = 4096;

    private static final int CACHED_BACKGROUNDS = 8;

    private final int width;
    private final int height;
    private final Map<Background, int[]> backgrounds = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Background, int[]> eldest) {
            return size() > CACHED_BACKGROUNDS;
        }
    };
    private BufferedImage scratch;
    private Graphics2D scratchGraphics;

    /** A renderer for {@code width}×{@code height} frames (each side in [32, 4096]). */
    public FrameRenderer(int width, int height) {
        if (width < MIN_SIDE || height < MIN_SIDE || width > MAX_SIDE || height > MAX_SIDE)
            throw new IllegalArgumentException("frame size must be between " + MIN_SIDE + "x" + MIN_SIDE + " and " + MAX_SIDE + "x" + MAX_SIDE
                    + ", got " + width + "x" + height);
        this.width = width;
        this.height = height;
    }

    /** The frame width in pixels. */
    public int width() {
        return width;
    }

    /** The frame height in pixels. */
    public int height() {
        return height;
    }

    /** A new RGB image of {@code scene} at scene time {@code tMicros}. */
    public BufferedImage render(Scene scene, long tMicros) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = graphics(image);
        try {
            draw(scene, tMicros, image, g);
        } finally {
            g.dispose();
        }
        return image;
    }

    /** A new frame of {@code episode} at episode time {@code tMicros}, stamped with that time. */
    public RenderedFrame render(Episode episode, long tMicros) {
        Episode.Slot slot = episode.slotAt(tMicros);
        return new RenderedFrame(render(slot.scene(), slot.localMicros(tMicros)), tMicros);
    }

    /** Draws {@code scene} at {@code tMicros} into {@code target}, a TYPE_INT_RGB image of this renderer's size. */
    public void renderInto(Scene scene, long tMicros, BufferedImage target) {
        if (target == null || target.getType() != BufferedImage.TYPE_INT_RGB || target.getWidth() != width || target.getHeight() != height)
            throw new IllegalArgumentException("target must be a TYPE_INT_RGB image of " + width + "x" + height + ", got "
                    + (target == null ? "null" : target.getWidth() + "x" + target.getHeight() + " of type " + target.getType()));
        Graphics2D g = graphics(target);
        try {
            draw(scene, tMicros, target, g);
        } finally {
            g.dispose();
        }
    }

    /**
     * Writes {@code scene} at {@code tMicros} into {@code dst} from {@code offset} as height×width×3 RGB
     * bytes (row-major, channels last), reusing an internal buffer: the fast path for training.
     */
    public void renderRgb(Scene scene, long tMicros, byte[] dst, int offset) {
        int bytes = width * height * 3;
        if (dst == null || offset < 0 || offset > dst.length - bytes)
            throw new IllegalArgumentException("destination needs " + bytes + " bytes from offset " + offset + ", has "
                    + (dst == null ? "none" : dst.length - Math.max(0, offset)));
        if (scratch == null) {
            scratch = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            scratchGraphics = graphics(scratch);
        }
        draw(scene, tMicros, scratch, scratchGraphics);
        int[] pixels = pixels(scratch);
        for (int i = 0, o = offset; i < pixels.length; i++, o += 3) {
            int p = pixels[i];
            dst[o] = (byte) (p >> 16);
            dst[o + 1] = (byte) (p >> 8);
            dst[o + 2] = (byte) p;
        }
    }

    /**
     * The frames of {@code episode} at {@code fps}: frame {@code i} at {@code round(i * 1e6 / fps)} µs,
     * for every such time inside the episode, rendered lazily by this renderer (so consume it
     * sequentially, never in parallel).
     */
    public Stream<RenderedFrame> frames(Episode episode, double fps) {
        if (!(fps > 0 && fps <= 1000)) throw new IllegalArgumentException("fps must be in (0, 1000], got " + fps);
        long duration = episode.durationMicros();
        long count = (long) Math.ceil(duration * fps / 1_000_000d);
        return LongStream.range(0, count)
                .map(i -> Math.round(i * 1_000_000d / fps))
                .filter(t -> t < duration)
                .mapToObj(t -> render(episode, t));
    }

    private void draw(Scene scene, long tMicros, BufferedImage image, Graphics2D g) {
        List<ObjectState> objects = scene.objectsAt(tMicros);
        int[] background = backgrounds.computeIfAbsent(scene.background(), b -> {
            int[] pixels = new int[width * height];
            b.fill(pixels, width, height);
            return pixels;
        });
        System.arraycopy(background, 0, pixels(image), 0, background.length);
        if (objects.isEmpty()) return;
        g.setColor(new Color(scene.rgb()));
        for (ObjectState o : objects)
            g.fill(scene.shape().outline(o.pixelX(width), o.pixelY(height), o.pixelRadius(width, height)));
    }

    private static int[] pixels(BufferedImage image) {
        return ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
    }

    private static Graphics2D graphics(BufferedImage image) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        return g;
    }
}
