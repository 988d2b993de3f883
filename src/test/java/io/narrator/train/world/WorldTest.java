package io.narrator.train.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.geom.Area;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class WorldTest {

    private static final long EIGHT_SECONDS = 8_000_000;
    private static final int SEEDS = 1800;

    @Test
    void sameSeedGivesTheSameSceneAndDifferentSeedsDifferentScenes() {
        Set<Scene> scenes = new HashSet<>();
        for (long seed = 0; seed < 300; seed++) {
            Scene scene = World.DEFAULT.scene(seed, EIGHT_SECONDS);
            assertThat(World.DEFAULT.scene(seed, EIGHT_SECONDS)).isEqualTo(scene);
            scenes.add(scene.withDuration(1)); // compare content, not the seed field
        }
        assertThat(scenes).hasSize(300);
        Scene a = World.DEFAULT.scene(1, EIGHT_SECONDS), b = World.DEFAULT.scene(2, EIGHT_SECONDS);
        assertThat(a.layout()).isNotEqualTo(b.layout());
    }

    @Test
    void everyAttributeValueOccursWithRoughlyUniformFrequency() {
        List<Scene> scenes = new java.util.ArrayList<>();
        for (long seed = 0; seed < SEEDS; seed++) scenes.add(World.DEFAULT.scene(seed * 7919 + 13, EIGHT_SECONDS));
        assertUniform(scenes, Scene::shape, Shape.values().length);
        assertUniform(scenes, Scene::colour, Colour.values().length);
        assertUniform(scenes, Scene::size, Size.values().length);
        assertUniform(scenes, Scene::count, 3);
        assertUniform(scenes, Scene::event, Event.values().length);
        assertUniform(scenes, s -> s.background().texture() == Texture.PLAIN, 2, 0.4 * SEEDS, 0.6 * SEEDS);
        Map<Texture, Integer> textures = new EnumMap<>(Texture.class);
        for (Scene s : scenes) textures.merge(s.background().texture(), 1, Integer::sum);
        assertThat(textures).containsOnlyKeys(Texture.values());
    }

    private static <T> void assertUniform(List<Scene> scenes, Function<Scene, T> attribute, int values) {
        double expected = (double) scenes.size() / values;
        assertUniform(scenes, attribute, values, 0.75 * expected, 1.25 * expected);
    }

    private static <T> void assertUniform(List<Scene> scenes, Function<Scene, T> attribute, int values, double min, double max) {
        Map<T, Integer> counts = new HashMap<>();
        for (Scene s : scenes) counts.merge(attribute.apply(s), 1, Integer::sum);
        assertThat(counts).hasSize(values);
        assertThat(counts.values()).allSatisfy(n -> assertThat((double) n).isBetween(min, max));
    }

    @Test
    void objectsStayInsideTheFrameAndApartAtEveryAspectRatio() {
        int[][] sizes = {{64, 64}, {320, 240}, {1280, 720}, {90, 320}, {32, 32}};
        for (long seed = 0; seed < 400; seed++) {
            Scene scene = World.DEFAULT.scene(seed, EIGHT_SECONDS);
            for (long t = 0; t <= EIGHT_SECONDS; t += 500_000) {
                List<ObjectState> objects = scene.objectsAt(t);
                for (int[] size : sizes) {
                    int w = size[0], h = size[1];
                    for (ObjectState o : objects) {
                        java.awt.geom.Rectangle2D box = scene.shape().outline(o.pixelX(w), o.pixelY(h), o.pixelRadius(w, h)).getBounds2D();
                        assertThat(box.getMinX()).as("seed %d at %d µs in %dx%d", seed, t, w, h).isGreaterThanOrEqualTo(0);
                        assertThat(box.getMinY()).isGreaterThanOrEqualTo(0);
                        assertThat(box.getMaxX()).isLessThanOrEqualTo(w);
                        assertThat(box.getMaxY()).isLessThanOrEqualTo(h);
                    }
                }
                // a square frame is the tightest case: wider or taller frames only spread centres further apart
                for (int i = 0; i < objects.size(); i++)
                    for (int j = i + 1; j < objects.size(); j++) {
                        // outlines 10% larger than drawn still do not touch: there is always a gap
                        Area a = new Area(grown(scene, objects.get(i), 100, 100));
                        a.intersect(new Area(grown(scene, objects.get(j), 100, 100)));
                        assertThat(a.isEmpty()).as("seed %d objects %d,%d at %d µs", seed, i, j, t).isTrue();
                    }
            }
        }
    }

    private static java.awt.Shape grown(Scene scene, ObjectState o, int w, int h) {
        return scene.shape().outline(o.pixelX(w), o.pixelY(h), 1.1 * o.pixelRadius(w, h));
    }

    @Test
    void movingObjectsTravelAClearlyVisibleDistanceOverEightFramesAtOneFps() {
        int moving = 0;
        for (long seed = 0; seed < 600; seed++) {
            Scene scene = World.DEFAULT.scene(seed, EIGHT_SECONDS);
            if (!scene.event().isMotion()) continue;
            moving++;
            ObjectState first = scene.objectsAt(0).get(0), last = scene.objectsAt(7_000_000).get(0);
            double travel = scene.event().dx() != 0 ? (last.x() - first.x()) * scene.event().dx() : (last.y() - first.y()) * scene.event().dy();
            assertThat(travel).as("seed %d", seed).isBetween(0.35, 0.60);
        }
        assertThat(moving).isGreaterThan(150);
    }

    @Test
    void appearingAndDisappearingObjectsShowEachStateInAtLeastTwoOfEightFrames() {
        for (long seed = 0; seed < 600; seed++) {
            Scene scene = World.DEFAULT.scene(seed, EIGHT_SECONDS);
            if (!scene.event().changesVisibility()) continue;
            int visible = 0;
            for (int second = 0; second < 8; second++) if (scene.visibleAt(second * 1_000_000L)) visible++;
            assertThat(visible).as("seed %d", seed).isBetween(2, 6);
            assertThat(scene.visibleAt(0)).isEqualTo(scene.event() == Event.DISAPPEAR);
        }
    }

    @Test
    void aRestrictedWorldDrawsOnlyItsValues() {
        World world = World.DEFAULT.withEvents(Event.MOVE_LEFT, Event.APPEAR);
        Set<Event> events = new HashSet<>();
        for (long seed = 0; seed < 100; seed++) events.add(world.scene(seed, EIGHT_SECONDS).event());
        assertThat(events).containsExactlyInAnyOrder(Event.MOVE_LEFT, Event.APPEAR);
        World reds = new World(List.of(Shape.STAR), List.of(Colour.RED), List.of(Size.LARGE), List.of(3), List.of(Event.STAY), 0);
        Scene scene = reds.scene(42, EIGHT_SECONDS);
        assertThat(scene.shape()).isEqualTo(Shape.STAR);
        assertThat(scene.count()).isEqualTo(3);
        assertThat(scene.background().texture()).isEqualTo(Texture.PLAIN);
    }

    @Test
    void rejectsBadWorldsWithClearMessages() {
        assertThatThrownBy(() -> new World(List.of(), List.of(Colour.RED), List.of(Size.LARGE), List.of(1), List.of(Event.STAY), 0))
                .hasMessageContaining("world shapes must not be empty");
        assertThatThrownBy(() -> new World(List.of(Shape.STAR), List.of(Colour.RED), List.of(Size.LARGE), List.of(4), List.of(Event.STAY), 0))
                .hasMessageContaining("counts must be in [1, 3], got 4");
        assertThatThrownBy(() -> new World(List.of(Shape.STAR, Shape.STAR), List.of(Colour.RED), List.of(Size.LARGE), List.of(1), List.of(Event.STAY), 0))
                .hasMessageContaining("must not repeat");
        assertThatThrownBy(() -> new World(List.of(Shape.STAR), List.of(Colour.RED), List.of(Size.LARGE), List.of(1), List.of(Event.STAY), 1.5))
                .hasMessageContaining("texturedFraction");
        assertThatThrownBy(() -> World.DEFAULT.scene(1, 0)).hasMessageContaining("scene duration must be positive");
        assertThatThrownBy(() -> World.DEFAULT.episode(1, 0, EIGHT_SECONDS)).hasMessageContaining("at least one scene");
    }
}
