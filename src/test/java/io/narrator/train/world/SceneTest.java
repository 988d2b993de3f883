package io.narrator.train.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class SceneTest {

    private static final long EIGHT_SECONDS = 8_000_000;
    private static final Background PLAIN = new Background(Texture.PLAIN, 0x404040, 0, 0.1, 0, 0);

    private static Scene scene(Event event, Layout layout) {
        return new Scene(1, Shape.CIRCLE, Colour.RED, Size.LARGE, layout.starts().size(), event, Colour.RED.rgb(), PLAIN, layout, EIGHT_SECONDS);
    }

    private static Scene drawn(Event event, long seed) {
        return World.DEFAULT.withEvents(event).scene(seed, EIGHT_SECONDS);
    }

    @Test
    void positionsAreContinuousInTimeSoAnyFrameRateShowsTheSameMotion() {
        Scene scene = drawn(Event.MOVE_RIGHT, 5);
        // the 1 FPS frame at 3 s is the 15 fps frame 45
        assertThat(scene.objectsAt(3_000_000)).isEqualTo(scene.objectsAt(Math.round(45 * 1_000_000d / 15)));
        double previous = -1;
        for (int frame = 0; frame < 120; frame++) {
            double x = scene.objectsAt(Math.round(frame * 1_000_000d / 15)).get(0).x();
            assertThat(x).isGreaterThan(previous);
            if (previous >= 0) assertThat(x - previous).isLessThan(0.01); // no jumps between 15 fps frames
            previous = x;
        }
    }

    @Test
    void timingIsRelativeToTheDurationSoAShorterClipShowsTheWholeEvent() {
        Scene eight = drawn(Event.MOVE_UP, 9);
        Scene four = eight.withDuration(4_000_000);
        assertThat(four.objectsAt(2_000_000)).isEqualTo(eight.objectsAt(4_000_000));
        assertThat(four.objectsAt(4_000_000)).isEqualTo(eight.objectsAt(EIGHT_SECONDS));
        Scene appear = drawn(Event.APPEAR, 3);
        long switchMicros = Math.round(appear.layout().switchAt() * EIGHT_SECONDS);
        assertThat(appear.objectsAt(switchMicros - 1)).isEmpty();
        assertThat(appear.objectsAt(switchMicros + 1)).hasSize(appear.count());
        assertThat(appear.withDuration(4_000_000).objectsAt(switchMicros / 2 - 1)).isEmpty();
    }

    @Test
    void stillObjectsOnlyWobbleFarLessThanMovingOnesTravel() {
        for (long seed = 0; seed < 50; seed++) {
            Scene scene = drawn(Event.STAY, seed);
            ObjectState start = scene.objectsAt(0).get(0);
            for (long t = 0; t <= EIGHT_SECONDS; t += 100_000) {
                ObjectState now = scene.objectsAt(t).get(0);
                assertThat(Math.hypot(now.x() - start.x(), now.y() - start.y())).isLessThanOrEqualTo(4 * Layout.WOBBLE);
                assertThat(now.radius()).isEqualTo(start.radius());
            }
        }
    }

    @Test
    void growingAndShrinkingObjectsChangeSizeMonotonicallyByHalf() {
        Scene grow = drawn(Event.GROW, 4), shrink = drawn(Event.SHRINK, 4);
        assertThat(grow.objectsAt(0).get(0).radius()).isCloseTo(Scene.MIN_SCALE * grow.layout().radius(), within(1e-12));
        assertThat(grow.objectsAt(EIGHT_SECONDS).get(0).radius()).isCloseTo(grow.layout().radius(), within(1e-12));
        assertThat(shrink.objectsAt(0).get(0).radius()).isCloseTo(shrink.layout().radius(), within(1e-12));
        double g = 0, s = 1;
        for (long t = 0; t <= EIGHT_SECONDS; t += 1_000_000) {
            assertThat(grow.objectsAt(t).get(0).radius()).isGreaterThan(g);
            assertThat(shrink.objectsAt(t).get(0).radius()).isLessThan(s);
            g = grow.objectsAt(t).get(0).radius();
            s = shrink.objectsAt(t).get(0).radius();
        }
    }

    @Test
    void rejectsTimesOutsideTheScene() {
        Scene scene = drawn(Event.STAY, 1);
        assertThatThrownBy(() -> scene.objectsAt(-1)).hasMessageContaining("outside the scene [0, 8000000] µs");
        assertThatThrownBy(() -> scene.objectsAt(EIGHT_SECONDS + 1)).hasMessageContaining("outside the scene");
    }

    @Test
    void layoutsThatWouldLeaveTheFrameOrOverlapAreRejected() {
        assertThatThrownBy(() -> new Layout(0.1, List.of(new Position(0.5, 0.5)), 0.5, 0, 0.5, 0))
                .hasMessageContaining("leaves the frame");
        assertThatThrownBy(() -> new Layout(0.1, List.of(new Position(0.05, 0.5)), 0, 0, 0.5, 0))
                .hasMessageContaining("leaves the frame");
        assertThatThrownBy(() -> new Layout(0.1, List.of(new Position(0.4, 0.5), new Position(0.5, 0.5)), 0, 0, 0.5, 0))
                .hasMessageContaining("would overlap");
        assertThatThrownBy(() -> new Layout(0.1, List.of(new Position(0.5, 0.5)), 0, 0, 1.0, 0))
                .hasMessageContaining("switchAt must be in (0, 1)");
    }

    @Test
    void scenesWhoseFactsContradictEachOtherAreRejected() {
        Layout still = new Layout(0.11, List.of(new Position(0.5, 0.5)), 0, 0, 0.5, 0);
        Layout left = new Layout(0.11, List.of(new Position(0.7, 0.5)), -0.4, 0, 0.5, 0);
        assertThat(scene(Event.MOVE_LEFT, left).objectsAt(EIGHT_SECONDS).get(0).x()).isCloseTo(0.3, within(1e-12));
        assertThatThrownBy(() -> scene(Event.MOVE_RIGHT, left)).hasMessageContaining("does not match event MOVE_RIGHT");
        assertThatThrownBy(() -> scene(Event.MOVE_LEFT, still)).hasMessageContaining("does not match event MOVE_LEFT");
        assertThatThrownBy(() -> new Scene(1, Shape.CIRCLE, Colour.RED, Size.SMALL, 1, Event.STAY, Colour.RED.rgb(), PLAIN, still, 1))
                .hasMessageContaining("is not small");
        assertThatThrownBy(() -> new Scene(1, Shape.CIRCLE, Colour.RED, Size.LARGE, 1, Event.STAY, Colour.ORANGE.rgb(), PLAIN, still, 1))
                .hasMessageContaining("looks orange, not red");
        assertThatThrownBy(() -> new Scene(1, Shape.CIRCLE, Colour.RED, Size.LARGE, 2, Event.STAY, Colour.RED.rgb(), PLAIN, still, 1))
                .hasMessageContaining("layout places 1 objects but count is 2");
        assertThatThrownBy(() -> new Background(Texture.PLAIN, 0xFF0000, 0, 0.1, 0, 0)).hasMessageContaining("neutral tone");
    }
}
