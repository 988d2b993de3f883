package io.narrator.train.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CaptionParserTest {

    private static final long EIGHT_SECONDS = 8_000_000;

    @Test
    void invertsEveryPhrasingOfEveryTaskExactly() {
        int checked = 0;
        for (long seed = 0; seed < 400; seed++) {
            Scene scene = World.DEFAULT.scene(seed, EIGHT_SECONDS);
            ParsedCaption truth = ParsedCaption.of(scene);
            for (String caption : CaptionGrammar.variants(scene, Task.CAPTION)) {
                ParsedCaption parsed = CaptionParser.parse(Task.CAPTION, caption);
                boolean namesSize = caption.contains(" " + scene.size().word() + " ");
                assertThat(parsed).as("seed %d: %s", seed, caption)
                        .isEqualTo(new ParsedCaption(truth.shape(), truth.colour(), namesSize ? truth.size() : Optional.empty(), truth.count(), truth.event()));
                assertThat(parsed.isCorrect(Task.CAPTION, scene)).isTrue();
                checked++;
            }
            for (Task task : List.of(Task.COLOUR, Task.SHAPE, Task.COUNT, Task.EVENT))
                for (String answer : CaptionGrammar.variants(scene, task)) {
                    ParsedCaption parsed = CaptionParser.parse(task, answer);
                    assertThat(parsed).as("seed %d %s: %s", seed, task, answer).isEqualTo(truth.restrictTo(task));
                    assertThat(parsed.isCorrect(task, scene)).isTrue();
                    checked++;
                }
        }
        assertThat(checked).isGreaterThan(10_000);
    }

    @Test
    void readsFrameDescriptionsWithoutMistakingPlacesForMotion() {
        for (long seed = 0; seed < 200; seed++) {
            Scene scene = World.DEFAULT.scene(seed, EIGHT_SECONDS);
            for (long t = 0; t < EIGHT_SECONDS; t += 2_000_000) {
                int visible = scene.objectsAt(t).size();
                for (String text : CaptionGrammar.frameVariants(scene, t)) {
                    ParsedCaption parsed = CaptionParser.parse(text);
                    assertThat(parsed.event()).as(text).isEmpty();
                    assertThat(parsed.count()).as(text).isEqualTo(OptionalInt.of(visible));
                    if (visible > 0) {
                        assertThat(parsed.colour()).contains(scene.colour());
                        assertThat(parsed.shape()).contains(scene.shape());
                    }
                }
            }
        }
    }

    @Test
    void toleratesNearMissesAModelMightWrite() {
        assertThat(CaptionParser.parse("red circle moves left")).isEqualTo(parsed(Shape.CIRCLE, Colour.RED, null, 1, Event.MOVE_LEFT));
        assertThat(CaptionParser.parse("A big RED circle, moving to the left!")).isEqualTo(parsed(Shape.CIRCLE, Colour.RED, Size.LARGE, 1, Event.MOVE_LEFT));
        assertThat(CaptionParser.parse("the two blue squares are drifting upwards slowly")).isEqualTo(parsed(Shape.SQUARE, Colour.BLUE, null, 2, Event.MOVE_UP));
        assertThat(CaptionParser.parse("three green stars that do not move")).isEqualTo(parsed(Shape.STAR, Colour.GREEN, null, 3, Event.STAY));
        assertThat(CaptionParser.parse("a yellow star shows up on the right").event()).contains(Event.APPEAR);
        assertThat(CaptionParser.parse("two purple crosses at the top left slide down").event()).contains(Event.MOVE_DOWN);
        assertThat(CaptionParser.parse("a circle on the left").event()).isEmpty();
        assertThat(CaptionParser.parse("a circle moves on the left").event()).isEmpty();
        assertThat(CaptionParser.parse("triangles fade away").count()).isEmpty();
        assertThat(CaptionParser.parse("2 diamonds get smaller")).isEqualTo(parsed(Shape.DIAMOND, null, null, 2, Event.SHRINK));
        assertThat(CaptionParser.parse(Task.COUNT, "two red circles")).isEqualTo(parsed(null, null, null, 2, null));
        assertThat(CaptionParser.parse(Task.COLOUR, "it is red I think")).isEqualTo(parsed(null, Colour.RED, null, -1, null));
        assertThat(CaptionParser.parse("nothing").count()).isEqualTo(OptionalInt.of(0));
    }

    @Test
    void neverThrowsOnArbitraryText() {
        List<String> words = List.copyOf(CaptionGrammar.vocabulary());
        SplittableRandom random = new SplittableRandom(17);
        int named = 0;
        for (int i = 0; i < 5_000; i++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(12);
            for (int j = 0; j < length; j++) {
                if (random.nextBoolean()) text.append(words.get(random.nextInt(words.size())));
                else for (int k = random.nextInt(6); k > 0; k--) text.append((char) random.nextInt(1, 0x3000));
                text.append(random.nextInt(4) == 0 ? "" : " ");
            }
            for (Task task : Task.values()) if (!CaptionParser.parse(task, text.toString()).equals(ParsedCaption.EMPTY)) named++;
        }
        assertThat(named).isBetween(1_000, 5 * 5_000 - 1_000); // word salad names something often, but not always
        assertThat(CaptionParser.parse(null)).isEqualTo(ParsedCaption.EMPTY);
        assertThat(CaptionParser.parse("   ")).isEqualTo(ParsedCaption.EMPTY);
        assertThat(CaptionParser.parse("to the")).isEqualTo(ParsedCaption.EMPTY);
        assertThat(CaptionParser.parse("moves".repeat(10_000) + " left").event()).contains(Event.MOVE_LEFT);
        assertThatThrownBy(() -> CaptionParser.parse(null, "red")).hasMessageContaining("task must not be null");
    }

    @Test
    void scoresCaptionsOnShapeColourCountAndEventButNotSize() {
        Scene scene = World.DEFAULT.scene(12, EIGHT_SECONDS);
        ParsedCaption truth = ParsedCaption.of(scene);
        Size otherSize = scene.size() == Size.SMALL ? Size.LARGE : Size.SMALL;
        Event otherEvent = scene.event() == Event.STAY ? Event.APPEAR : Event.STAY;
        assertThat(new ParsedCaption(truth.shape(), truth.colour(), Optional.of(otherSize), truth.count(), truth.event()).isCorrect(Task.CAPTION, scene)).isTrue();
        assertThat(new ParsedCaption(truth.shape(), truth.colour(), truth.size(), truth.count(), Optional.of(otherEvent)).isCorrect(Task.CAPTION, scene)).isFalse();
        assertThat(ParsedCaption.EMPTY.isCorrect(Task.COLOUR, scene)).isFalse();
        assertThat(truth.restrictTo(Task.EVENT).isCorrect(Task.EVENT, scene)).isTrue();
        assertThat(truth.restrictTo(Task.EVENT).isCorrect(Task.COUNT, scene)).isFalse();
    }

    private static ParsedCaption parsed(Shape shape, Colour colour, Size size, int count, Event event) {
        return new ParsedCaption(Optional.ofNullable(shape), Optional.ofNullable(colour), Optional.ofNullable(size),
                count < 0 ? OptionalInt.empty() : OptionalInt.of(count), Optional.ofNullable(event));
    }
}
