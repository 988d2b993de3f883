package io.narrator.train.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CaptionGrammarTest {

    private static final long EIGHT_SECONDS = 8_000_000;
    private static final Background PLAIN = new Background(Texture.PLAIN, 0x404040, 0, 0.1, 0, 0);

    private static Scene still(double x, double y, Size size, Event event) {
        double r = size.minRadius();
        return new Scene(1, Shape.STAR, Colour.ORANGE, size, 1, event, Colour.ORANGE.rgb(), PLAIN,
                new Layout(r, List.of(new Position(x, y)), 0, 0, 0.5, 0), EIGHT_SECONDS);
    }

    @Test
    void theVocabularyIsSmallLowerCaseAndCoversEverythingTheGrammarSays() {
        SortedSet<String> vocabulary = CaptionGrammar.vocabulary();
        assertThat(vocabulary.size()).isBetween(60, 120);
        assertThat(vocabulary).allMatch(w -> w.matches("[a-z]+"));
        Set<String> used = new HashSet<>();
        for (long seed = 0; seed < 300; seed++) {
            Scene scene = World.DEFAULT.scene(seed, EIGHT_SECONDS);
            for (Task task : Task.values()) for (String text : CaptionGrammar.variants(scene, task)) used.addAll(checkedWords(text));
            for (long t = 0; t < EIGHT_SECONDS; t += 1_000_000)
                for (String text : CaptionGrammar.frameVariants(scene, t)) used.addAll(checkedWords(text));
        }
        assertThat(vocabulary).containsAll(used);
        assertThat(used).containsAll(vocabulary); // every vocabulary word is actually used
    }

    private static List<String> checkedWords(String text) {
        assertThat(text).matches("[a-z]+( [a-z]+)*");
        return Arrays.asList(text.split(" "));
    }

    @Test
    void captionsAgreeInNumberAndArticle() {
        for (long seed = 0; seed < 300; seed++) {
            Scene scene = World.DEFAULT.scene(seed, EIGHT_SECONDS);
            boolean plural = scene.count() > 1;
            for (String caption : CaptionGrammar.variants(scene, Task.CAPTION)) {
                String[] words = caption.split(" ");
                if (plural) assertThat(words[0]).isEqualTo(CaptionGrammar.numberWord(scene.count()));
                else assertThat(words[0]).isEqualTo("aeiou".indexOf(words[1].charAt(0)) >= 0 ? "an" : "a");
                assertThat(caption).contains(" " + scene.colour().word() + " " + scene.shape().noun(scene.count()) + " ");
                assertThat(CaptionGrammar.eventPhrases(scene.event(), plural)).anyMatch(caption::endsWith);
            }
        }
        Scene orange = still(0.5, 0.5, Size.SMALL, Event.STAY);
        assertThat(CaptionGrammar.variants(orange, Task.CAPTION)).contains("a small orange star stays still", "an orange star stays put");
    }

    @Test
    void examplesReadAsTheIssueDescribes() {
        Scene twoBlueSquaresUp = new Scene(5, Shape.SQUARE, Colour.BLUE, Size.SMALL, 2, Event.MOVE_UP, Colour.BLUE.rgb(), PLAIN,
                new Layout(0.06, List.of(new Position(0.3, 0.7), new Position(0.7, 0.7)), 0, -0.45, 0.5, 0), EIGHT_SECONDS);
        assertThat(CaptionGrammar.canonical(twoBlueSquaresUp, Task.CAPTION)).isEqualTo("two small blue squares move up");
        assertThat(CaptionGrammar.variants(twoBlueSquaresUp, Task.CAPTION)).contains("two small blue squares drift upward", "two blue squares rise");
        assertThat(CaptionGrammar.canonical(twoBlueSquaresUp, Task.COLOUR)).isEqualTo("blue");
        assertThat(CaptionGrammar.canonical(twoBlueSquaresUp, Task.SHAPE)).isEqualTo("square");
        assertThat(CaptionGrammar.canonical(twoBlueSquaresUp, Task.COUNT)).isEqualTo("two");
        assertThat(CaptionGrammar.variants(twoBlueSquaresUp, Task.EVENT)).contains("moves up", "drifts upward", "rises");
    }

    @Test
    void eachTaskAnswersInItsOwnForm() {
        Set<String> colours = new HashSet<>(), shapes = new HashSet<>(), counts = new HashSet<>(), events = new HashSet<>();
        for (long seed = 0; seed < 300; seed++) {
            Scene scene = World.DEFAULT.scene(seed, EIGHT_SECONDS);
            colours.addAll(CaptionGrammar.variants(scene, Task.COLOUR));
            shapes.addAll(CaptionGrammar.variants(scene, Task.SHAPE));
            counts.addAll(CaptionGrammar.variants(scene, Task.COUNT));
            events.addAll(CaptionGrammar.variants(scene, Task.EVENT));
            for (String caption : CaptionGrammar.variants(scene, Task.CAPTION)) assertThat(caption.split(" ").length).isGreaterThanOrEqualTo(4);
        }
        assertThat(colours).containsExactlyInAnyOrder("red", "green", "blue", "yellow", "purple", "orange");
        assertThat(shapes).containsExactlyInAnyOrder("circle", "square", "triangle", "star", "diamond", "cross");
        assertThat(counts).containsExactlyInAnyOrder("one", "two", "three");
        assertThat(events).contains("moves left", "moves to the left", "stays still", "appears", "disappears", "vanishes", "grows", "shrinks");
        assertThat(events).allMatch(e -> e.split(" ").length <= 4);
        for (Set<String> a : List.of(colours, shapes, counts, events))
            for (Set<String> b : List.of(colours, shapes, counts, events))
                if (a != b) assertThat(a).doesNotContainAnyElementsOf(b);
    }

    @Test
    void describePicksSynonymsFromItsRandomAndIsReproducible() {
        Scene scene = World.DEFAULT.withEvents(Event.MOVE_LEFT).scene(1, EIGHT_SECONDS);
        Set<String> seen = new HashSet<>();
        SplittableRandom random = new SplittableRandom(9);
        for (int i = 0; i < 300; i++) seen.add(CaptionGrammar.describe(scene, Task.CAPTION, random));
        assertThat(seen).containsExactlyInAnyOrderElementsOf(CaptionGrammar.variants(scene, Task.CAPTION)); // 2 × 15 phrasings, all reached
        assertThat(CaptionGrammar.describe(scene, Task.CAPTION, new SplittableRandom(4)))
                .isEqualTo(CaptionGrammar.describe(scene, Task.CAPTION, new SplittableRandom(4)));
        assertThat(CaptionGrammar.canonical(scene, Task.CAPTION)).isEqualTo(CaptionGrammar.variants(scene, Task.CAPTION).get(0));
    }

    @Test
    void frameDescriptionsSayWhatIsVisibleNowAndWhere() {
        assertThat(CaptionGrammar.canonicalFrame(still(0.2, 0.2, Size.LARGE, Event.STAY), 0)).isEqualTo("a large orange star at the top left");
        assertThat(CaptionGrammar.frameVariants(still(0.5, 0.5, Size.SMALL, Event.STAY), 0))
                .contains("a small orange star in the centre", "an orange star in the middle");
        assertThat(CaptionGrammar.canonicalFrame(still(0.8, 0.5, Size.SMALL, Event.STAY), 0)).isEqualTo("a small orange star on the right");
        assertThat(CaptionGrammar.canonicalFrame(still(0.5, 0.85, Size.SMALL, Event.STAY), 0)).isEqualTo("a small orange star at the bottom");
        Scene appear = still(0.5, 0.5, Size.LARGE, Event.APPEAR);
        assertThat(CaptionGrammar.frameVariants(appear, 0)).containsExactly(CaptionGrammar.NOTHING);
        assertThat(CaptionGrammar.canonicalFrame(appear, 7_000_000)).isEqualTo("a large orange star in the centre");
        // a growing large object starts at half size: a single frame shows it small
        assertThat(CaptionGrammar.canonicalFrame(still(0.5, 0.5, Size.LARGE, Event.GROW), 0)).isEqualTo("a small orange star in the centre");
        Scene left = World.DEFAULT.withEvents(Event.MOVE_LEFT).scene(2, EIGHT_SECONDS);
        ObjectState first = left.objectsAt(0).get(0);
        assertThat(CaptionGrammar.frameVariants(left, 0)).allMatch(t -> t.endsWith(Region.of(
                left.objectsAt(0).stream().mapToDouble(ObjectState::x).average().orElseThrow(),
                left.objectsAt(0).stream().mapToDouble(ObjectState::y).average().orElseThrow()).phrases().get(0))
                || t.endsWith("in the middle"));
        assertThat(first.radius()).isPositive();
    }

    @Test
    void pluralSubjectsTakePluralVerbs() {
        assertThat(CaptionGrammar.eventPhrases(Event.DISAPPEAR, true)).containsExactly("disappear", "vanish", "fade away");
        assertThat(CaptionGrammar.eventPhrases(Event.STAY, true)).containsExactly("stay still", "stay put", "do not move", "remain still");
        assertThat(CaptionGrammar.eventPhrases(Event.MOVE_UP, true)).contains("go up", "travel upward", "rise").doesNotContain("rises");
        assertThat(CaptionGrammar.eventPhrases(Event.GROW, true)).containsExactly("grow", "get bigger", "expand");
        assertThat(CaptionGrammar.eventPhrases(Event.MOVE_LEFT, false)).hasSize(15).startsWith("moves to the left");
    }

    @Test
    void numberWordsCoverTheCounts() {
        assertThat(CaptionGrammar.numberWord(1)).isEqualTo("one");
        assertThat(CaptionGrammar.numberWord(3)).isEqualTo("three");
        assertThatThrownBy(() -> CaptionGrammar.numberWord(4)).hasMessageContaining("counts are 1 to 3");
    }
}
