package io.narrator.train.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FrameRendererTest {

    private static final long EIGHT_SECONDS = 8_000_000;
    private static final int W = 128, H = 96;

    private static Scene scene(Event event, long seed) {
        return World.DEFAULT.withEvents(event).scene(seed, EIGHT_SECONDS);
    }

    private static double[] coverageAt(FrameRenderer renderer, Scene scene, int second) {
        return Pixels.coverage(renderer.render(scene, second * 1_000_000L), scene);
    }

    @Test
    void theSameSceneGivesBitIdenticalPixelsOnEveryRenderPath() {
        for (long seed = 0; seed < 40; seed++) {
            Scene scene = World.DEFAULT.scene(seed, EIGHT_SECONDS);
            BufferedImage first = new FrameRenderer(W, H).render(scene, 3_500_000);
            FrameRenderer reused = new FrameRenderer(W, H);
            reused.render(World.DEFAULT.scene(seed + 1000, EIGHT_SECONDS), 1_000_000); // other scenes in between
            BufferedImage again = reused.render(World.DEFAULT.scene(seed, EIGHT_SECONDS), 3_500_000);
            BufferedImage into = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
            reused.renderInto(scene, 3_500_000, into);
            byte[] rgb = new byte[W * H * 3 + 5];
            reused.renderRgb(scene, 3_500_000, rgb, 5);
            assertThat(Pixels.samePixels(first, again)).as("seed %d", seed).isTrue();
            assertThat(Pixels.samePixels(first, into)).isTrue();
            for (int i = 0; i < W * H; i++) {
                int p = first.getRGB(i % W, i / W) & 0xFFFFFF;
                int q = (rgb[5 + 3 * i] & 0xFF) << 16 | (rgb[6 + 3 * i] & 0xFF) << 8 | (rgb[7 + 3 * i] & 0xFF);
                assertThat(q).isEqualTo(p);
            }
        }
    }

    @Test
    void handedOutFramesAreNeverTouchedAgain() {
        FrameRenderer renderer = new FrameRenderer(W, H);
        Scene scene = scene(Event.MOVE_RIGHT, 1);
        BufferedImage first = renderer.render(scene, 0);
        BufferedImage copy = renderer.render(scene, 0);
        renderer.render(scene, 5_000_000);
        renderer.renderRgb(scene, 6_000_000, new byte[W * H * 3], 0);
        assertThat(Pixels.samePixels(first, copy)).isTrue();
        assertThat(first).isNotSameAs(copy);
    }

    @Test
    void differentSeedsGiveDifferentPixels() {
        FrameRenderer renderer = new FrameRenderer(64, 64);
        BufferedImage a = renderer.render(World.DEFAULT.scene(1, EIGHT_SECONDS), 0);
        for (long seed = 2; seed < 30; seed++)
            assertThat(Pixels.samePixels(a, renderer.render(World.DEFAULT.scene(seed, EIGHT_SECONDS), 0))).isFalse();
    }

    @Test
    void theCentroidOfObjectPixelsMovesTheWayTheEventSaysAtOneFps() {
        FrameRenderer renderer = new FrameRenderer(W, H);
        for (Event event : List.of(Event.MOVE_LEFT, Event.MOVE_RIGHT, Event.MOVE_UP, Event.MOVE_DOWN)) {
            for (long seed = 0; seed < 25; seed++) {
                Scene scene = scene(event, seed);
                double[] first = Pixels.centroid(coverageAt(renderer, scene, 0), W), previous = first;
                for (int second = 1; second < 8; second++) {
                    double[] now = Pixels.centroid(coverageAt(renderer, scene, second), W);
                    double along = event.dx() != 0 ? (now[0] - previous[0]) * event.dx() : (now[1] - previous[1]) * event.dy();
                    assertThat(along).as("%s seed %d second %d", event, seed, second).isGreaterThan(0);
                    previous = now;
                }
                double travel = event.dx() != 0 ? Math.abs(previous[0] - first[0]) / W : Math.abs(previous[1] - first[1]) / H;
                double sideways = event.dx() != 0 ? Math.abs(previous[1] - first[1]) / H : Math.abs(previous[0] - first[0]) / W;
                assertThat(travel).as("%s seed %d", event, seed).isGreaterThan(0.33);
                assertThat(sideways).isLessThan(0.02);
            }
        }
    }

    @Test
    void stillObjectsBarelyMove() {
        FrameRenderer renderer = new FrameRenderer(W, H);
        for (long seed = 0; seed < 25; seed++) {
            Scene scene = scene(Event.STAY, seed);
            double[] first = Pixels.centroid(coverageAt(renderer, scene, 0), W);
            for (int second = 1; second < 8; second++) {
                double[] now = Pixels.centroid(coverageAt(renderer, scene, second), W);
                assertThat(Math.hypot((now[0] - first[0]) / W, (now[1] - first[1]) / H)).as("seed %d", seed).isLessThan(0.015);
            }
        }
    }

    @Test
    void objectsHaveNoPixelsBeforeTheyAppearOrAfterTheyDisappear() {
        FrameRenderer renderer = new FrameRenderer(W, H);
        for (Event event : List.of(Event.APPEAR, Event.DISAPPEAR)) {
            for (long seed = 0; seed < 25; seed++) {
                Scene scene = scene(event, seed);
                double full = 0;
                for (int second = 0; second < 8; second++) full = Math.max(full, Pixels.area(coverageAt(renderer, scene, second)));
                int absent = 0;
                for (int second = 0; second < 8; second++) {
                    double area = Pixels.area(coverageAt(renderer, scene, second));
                    if (scene.visibleAt(second * 1_000_000L)) {
                        assertThat(area).as("%s seed %d second %d", event, seed, second).isGreaterThan(full * 0.95);
                    } else {
                        assertThat(area).as("%s seed %d second %d", event, seed, second).isZero();
                        absent++;
                    }
                }
                assertThat(absent).isBetween(2, 6);
            }
        }
    }

    @Test
    void growingObjectsCoverMorePixelsEverySecondAndShrinkingOnesFewer() {
        FrameRenderer renderer = new FrameRenderer(W, H);
        for (Event event : List.of(Event.GROW, Event.SHRINK)) {
            for (long seed = 0; seed < 20; seed++) {
                Scene scene = scene(event, seed);
                double previous = Pixels.area(coverageAt(renderer, scene, 0)), first = previous;
                for (int second = 1; second < 8; second++) {
                    double area = Pixels.area(coverageAt(renderer, scene, second));
                    assertThat(event == Event.GROW ? area > previous : area < previous).as("%s seed %d second %d", event, seed, second).isTrue();
                    previous = area;
                }
                double ratio = event == Event.GROW ? previous / first : first / previous;
                assertThat(ratio).as("%s seed %d", event, seed).isGreaterThan(2.0);
            }
        }
    }

    @Test
    void objectPixelsHaveTheSceneColourAndBlobsMatchTheCount() {
        FrameRenderer renderer = new FrameRenderer(W, H);
        for (long seed = 0; seed < 300; seed++) {
            Scene scene = World.DEFAULT.scene(seed, EIGHT_SECONDS);
            long t = scene.event() == Event.APPEAR ? 7_000_000 : 0; // a moment when objects are visible
            BufferedImage image = renderer.render(scene, t);
            assertThat(Colour.nearest(Pixels.interiorColour(image, scene))).as("seed %d", seed).isEqualTo(scene.colour());
            assertThat(Pixels.blobs(Pixels.objectMask(image, scene), W)).as("seed %d: %s", seed, scene).isEqualTo(scene.count());
        }
    }

    @Test
    void colourSurvivesDownscalingFrom320x240To64x64() {
        FrameRenderer renderer = new FrameRenderer(320, 240);
        for (long seed = 0; seed < 60; seed++) {
            Scene scene = World.DEFAULT.withEvents(Event.STAY).scene(seed, EIGHT_SECONDS);
            BufferedImage small = Pixels.downscale(renderer.render(scene, 0), 64, 64);
            int mostSaturated = 0, saturation = -1;
            for (int y = 0; y < 64; y++)
                for (int x = 0; x < 64; x++) {
                    int p = small.getRGB(x, y) & 0xFFFFFF;
                    int s = Math.max((p >> 16) & 0xFF, Math.max((p >> 8) & 0xFF, p & 0xFF)) - Math.min((p >> 16) & 0xFF, Math.min((p >> 8) & 0xFF, p & 0xFF));
                    if (s > saturation) {
                        saturation = s;
                        mostSaturated = p;
                    }
                }
            assertThat(Colour.nearest(mostSaturated)).as("seed %d", seed).isEqualTo(scene.colour());
            assertThat(saturation).isGreaterThan(120);
        }
    }

    /** Occupancy at five points of the object's bounding box (fractions of its width and height) tells the shapes apart. */
    private static final double[][] PROBES = {{0.08, 0.08}, {0.1, 0.9}, {0.12, 0.56}, {0.28, 0.28}, {0.2, 0.2}};
    private static final Map<Shape, String> SIGNATURES = Map.of(
            Shape.CIRCLE, "00111", Shape.SQUARE, "11111", Shape.TRIANGLE, "01000",
            Shape.DIAMOND, "00110", Shape.CROSS, "00100", Shape.STAR, "00000");

    @Test
    void eachShapeHasItsOwnOutlineInPixels() {
        World single = new World(List.of(Shape.values()), List.of(Colour.values()), List.of(Size.LARGE), List.of(1), List.of(Event.STAY), 0.6);
        FrameRenderer renderer = new FrameRenderer(320, 240);
        for (long seed = 0; seed < 120; seed++) {
            Scene scene = single.scene(seed, EIGHT_SECONDS);
            boolean[] mask = Pixels.objectMask(renderer.render(scene, 0), scene);
            int minX = 320, maxX = 0, minY = 240, maxY = 0;
            for (int i = 0; i < mask.length; i++)
                if (mask[i]) {
                    minX = Math.min(minX, i % 320);
                    maxX = Math.max(maxX, i % 320);
                    minY = Math.min(minY, i / 320);
                    maxY = Math.max(maxY, i / 320);
                }
            StringBuilder signature = new StringBuilder();
            for (double[] p : PROBES) {
                int x = (int) Math.round(minX + p[0] * (maxX - minX)), y = (int) Math.round(minY + p[1] * (maxY - minY));
                signature.append(mask[y * 320 + x] ? '1' : '0');
            }
            assertThat(signature.toString()).as("seed %d %s", seed, scene.shape()).isEqualTo(SIGNATURES.get(scene.shape()));
        }
    }

    @Test
    void backgroundsAreNeverConfusableWithAnObjectColour() {
        FrameRenderer renderer = new FrameRenderer(64, 64);
        for (long seed = 0; seed < 300; seed++) {
            Scene scene = World.DEFAULT.withEvents(Event.APPEAR).scene(seed, EIGHT_SECONDS);
            long closest = Long.MAX_VALUE;
            for (int p : Pixels.rgb(renderer.render(scene, 0)))
                for (Colour c : Colour.values()) closest = Math.min(closest, Colour.distanceSquared(p, c.rgb()));
            assertThat(Math.sqrt(closest)).as("seed %d", seed).isGreaterThan(100);
        }
    }

    @Test
    void episodeFramesAreStampedOnTheFrameRateGrid() {
        Episode episode = World.DEFAULT.episode(3, 2, 4_000_000);
        List<RenderedFrame> frames = new FrameRenderer(64, 48).frames(episode, 15).toList();
        assertThat(frames).hasSize(120);
        assertThat(frames.get(1).timestampMicros()).isEqualTo(66_667);
        assertThat(frames.get(119).timestampMicros()).isEqualTo(7_933_333);
        assertThat(Pixels.samePixels(frames.get(60).image(), new FrameRenderer(64, 48).render(episode.scenes().get(1), 0))).isTrue();
        assertThat(new FrameRenderer(64, 48).frames(episode, 1).map(RenderedFrame::timestampMicros).toList())
                .containsExactly(0L, 1_000_000L, 2_000_000L, 3_000_000L, 4_000_000L, 5_000_000L, 6_000_000L, 7_000_000L);
    }

    @Test
    void rejectsBadSizesAndTargetsClearly() {
        assertThatThrownBy(() -> new FrameRenderer(31, 64)).hasMessageContaining("frame size must be between 32x32 and 4096x4096, got 31x64");
        FrameRenderer renderer = new FrameRenderer(64, 64);
        Scene scene = World.DEFAULT.scene(1, EIGHT_SECONDS);
        assertThatThrownBy(() -> renderer.renderInto(scene, 0, new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB)))
                .hasMessageContaining("target must be a TYPE_INT_RGB image of 64x64, got 32x32");
        assertThatThrownBy(() -> renderer.renderRgb(scene, 0, new byte[100], 0)).hasMessageContaining("destination needs 12288 bytes");
        assertThatThrownBy(() -> renderer.frames(Episode.of(scene), 0)).hasMessageContaining("fps must be in (0, 1000]");
    }
}
