package io.narrator.train.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoModel;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.train.eval.FeatureProbe.Attribute;
import io.narrator.train.eval.FeatureProbe.Pooling;
import io.narrator.train.world.Event;
import io.narrator.train.world.ObjectState;
import io.narrator.train.world.Scene;
import io.narrator.train.world.Shape;
import io.narrator.train.world.Size;
import io.narrator.train.world.Texture;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FeatureProbeTest {
    private static FlamingoConfig.Vision vision(String resizeMode) {
        return new FlamingoConfig.Vision(96, 12, 128, 4, 4, 512, 1e-5, "quick_gelu", new float[] {0.5f, 0.5f, 0.5f},
                new float[] {0.25f, 0.25f, 0.25f}, resizeMode, new int[0]);
    }

    @Test
    void findsThePatchUnderAnObjectAfterLetterboxingOrCropping() {
        // a 320x180 frame letterboxes to 96x54, 21 rows of padding above: the frame's centre is patch (4, 4)
        FlamingoConfig.Vision box = vision(FlamingoConfig.Vision.LETTERBOX);
        assertThat(FeatureProbe.patchUnder(new ObjectState(0.5, 0.5, 0.1), 320, 180, box)).isEqualTo(4 * 8 + 4);
        // top-left corner: row (21 + 0.05·54)/12 = 1, column 0.05·96/12 = 0
        assertThat(FeatureProbe.patchUnder(new ObjectState(0.05, 0.05, 0.1), 320, 180, box)).isEqualTo(8);
        // bottom-right: row (21 + 0.95·54)/12 = 6, column 7
        assertThat(FeatureProbe.patchUnder(new ObjectState(0.95, 0.95, 0.1), 320, 180, box)).isEqualTo(6 * 8 + 7);
        // centre crop keeps the middle 180x180: x = 0.35·320 = 112 → (112 − 70)·96/180 = 22.4, column 1; y row 7
        FlamingoConfig.Vision crop = vision(FlamingoConfig.Vision.CENTER_CROP);
        assertThat(FeatureProbe.patchUnder(new ObjectState(0.35, 0.95, 0.1), 320, 180, crop)).isEqualTo(7 * 8 + 1);
        // outside the crop: clamped to the edge column
        assertThat(FeatureProbe.patchUnder(new ObjectState(0.05, 0.5, 0.1), 320, 180, crop)).isEqualTo(4 * 8);
    }

    @Test
    void tooFewFramesAreRefused() {
        assertThatThrownBy(() -> new FeatureProbe.Settings(8, 100, 1)).hasMessage("--frames must be at least 16, got 8");
        assertThatThrownBy(() -> new FeatureProbe.Settings(100, 0, 1)).hasMessage("--held-out must be at least 16, got 0");
    }

    @Test
    void eachPartOfTheWorldFixesItsAttributeAndKeepsTheRest() {
        SplittableRandom random = new SplittableRandom(3);
        Map<FeatureProbe.Scenes, Set<Object>> seen = new EnumMap<>(FeatureProbe.Scenes.class);
        for (FeatureProbe.Scenes part : FeatureProbe.Scenes.values()) {
            Set<Object> values = new HashSet<>();
            for (int i = 0; i < 400; i++) {
                Scene s = part.world().scene(random.nextLong(), 8_000_000L);
                values.add(s.size());
                values.add(s.count());
                values.add(s.background().texture() == Texture.PLAIN ? "plain" : "textured");
                values.add(s.event());
                values.add(s.shape());
            }
            seen.put(part, values);
            assertThat(values).as(part.label()).containsAll(List.of(Shape.values())); // every shape, whatever the part
        }
        assertThat(seen.get(FeatureProbe.Scenes.ALL)).contains(Size.SMALL, Size.LARGE, 1, 3, "plain", "textured", Event.MOVE_LEFT);
        assertThat(seen.get(FeatureProbe.Scenes.SMALL)).contains(Size.SMALL, 3, "textured").doesNotContain(Size.LARGE);
        assertThat(seen.get(FeatureProbe.Scenes.LARGE)).contains(Size.LARGE, 3, "textured").doesNotContain(Size.SMALL);
        assertThat(seen.get(FeatureProbe.Scenes.PLAIN)).contains(Size.SMALL, 3, "plain").doesNotContain("textured");
        assertThat(seen.get(FeatureProbe.Scenes.TEXTURED)).contains(Size.SMALL, 3, "textured").doesNotContain("plain");
        assertThat(seen.get(FeatureProbe.Scenes.SINGLE)).contains(Size.SMALL, 1, "textured").doesNotContain(2, 3);
        assertThat(seen.get(FeatureProbe.Scenes.EASY)).contains(Size.LARGE, 1, "plain", Event.STAY)
                .doesNotContain(Size.SMALL, 2, 3, "textured", Event.MOVE_LEFT, Event.APPEAR);
    }

    @Test
    void theBundledVisionEncoderHoldsColourAndCountLinearly() throws Exception {
        try (FlamingoModel model = FlamingoModel.load(ModelDirectory.BUNDLED)) {
            FeatureProbe.Report r = FeatureProbe.run(model, new FeatureProbe.Settings(768, 256, 5), done -> {});
            assertThat(r.model()).startsWith("narrator-tiny ");
            for (Attribute a : Attribute.values())
                for (Pooling p : Pooling.values()) assertThat(r.accuracy(a, p)).as(a + " " + p).isBetween(0.0, 1.0);
            assertThat(r.accuracy(Attribute.COLOUR, Pooling.CLASS_TOKEN)).as(r.toString()).isGreaterThan(0.9);
            assertThat(r.accuracy(Attribute.COLOUR, Pooling.MEAN_PATCH)).as(r.toString()).isGreaterThan(0.9);
            assertThat(r.accuracy(Attribute.COUNT, Pooling.MEAN_PATCH)).as(r.toString())
                    .isGreaterThan(r.majority().get(Attribute.COUNT) + 0.2);
            assertThat(r.majority().get(Attribute.SHAPE)).isBetween(1 / 6.0, 0.3);
            // its patch tokens keep where they are (the sine-cosine start of the vision stage): far above 1 in 8
            assertThat(r.columns()).isEqualTo(8);
            assertThat(r.patchColumn()).as(r.toString()).isGreaterThan(0.5);
        }
    }
}
