package io.narrator.train.world;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads attributes back from text: exact on everything {@link CaptionGrammar} produces, and tolerant
 * of a model's near-misses (missing article or size, extra words, other casing and punctuation). It
 * never throws; attributes it cannot find are empty. The first mention of each attribute wins.
 */
public final class CaptionParser {

    private static final Map<String, Colour> COLOURS = colours();
    private static final Map<String, Shape> SHAPES = shapes();
    private static final Set<String> PLURAL_SHAPES = pluralShapes();
    private static final Map<String, Size> SIZES = Map.of("small", Size.SMALL, "little", Size.SMALL, "tiny", Size.SMALL,
            "large", Size.LARGE, "big", Size.LARGE);
    private static final Map<String, Integer> COUNTS = Map.ofEntries(
            Map.entry("nothing", 0), Map.entry("zero", 0), Map.entry("0", 0),
            Map.entry("a", 1), Map.entry("an", 1), Map.entry("one", 1), Map.entry("single", 1), Map.entry("1", 1),
            Map.entry("two", 2), Map.entry("2", 2), Map.entry("three", 3), Map.entry("3", 3),
            Map.entry("four", 4), Map.entry("4", 4), Map.entry("five", 5), Map.entry("5", 5));
    private static final Map<String, Event> DIRECTIONS = Map.ofEntries(
            Map.entry("left", Event.MOVE_LEFT), Map.entry("leftward", Event.MOVE_LEFT), Map.entry("leftwards", Event.MOVE_LEFT),
            Map.entry("right", Event.MOVE_RIGHT), Map.entry("rightward", Event.MOVE_RIGHT), Map.entry("rightwards", Event.MOVE_RIGHT),
            Map.entry("up", Event.MOVE_UP), Map.entry("upward", Event.MOVE_UP), Map.entry("upwards", Event.MOVE_UP),
            Map.entry("down", Event.MOVE_DOWN), Map.entry("downward", Event.MOVE_DOWN), Map.entry("downwards", Event.MOVE_DOWN));
    private static final Set<String> MOTION_VERBS = Set.of("move", "moves", "moving", "drift", "drifts", "drifting", "slide", "slides",
            "sliding", "travel", "travels", "travelling", "go", "goes", "going", "head", "heads");
    private static final Map<String, Event> EVENT_WORDS = Map.ofEntries(
            Map.entry("appear", Event.APPEAR), Map.entry("appears", Event.APPEAR), Map.entry("appearing", Event.APPEAR),
            Map.entry("disappear", Event.DISAPPEAR), Map.entry("disappears", Event.DISAPPEAR), Map.entry("disappearing", Event.DISAPPEAR),
            Map.entry("vanish", Event.DISAPPEAR), Map.entry("vanishes", Event.DISAPPEAR), Map.entry("fade", Event.DISAPPEAR),
            Map.entry("fades", Event.DISAPPEAR),
            Map.entry("stay", Event.STAY), Map.entry("stays", Event.STAY), Map.entry("remain", Event.STAY), Map.entry("remains", Event.STAY),
            Map.entry("still", Event.STAY),
            Map.entry("grow", Event.GROW), Map.entry("grows", Event.GROW), Map.entry("growing", Event.GROW), Map.entry("expand", Event.GROW),
            Map.entry("expands", Event.GROW), Map.entry("bigger", Event.GROW),
            Map.entry("shrink", Event.SHRINK), Map.entry("shrinks", Event.SHRINK), Map.entry("shrinking", Event.SHRINK),
            Map.entry("contract", Event.SHRINK), Map.entry("contracts", Event.SHRINK), Map.entry("smaller", Event.SHRINK),
            Map.entry("rise", Event.MOVE_UP), Map.entry("rises", Event.MOVE_UP), Map.entry("sink", Event.MOVE_DOWN),
            Map.entry("sinks", Event.MOVE_DOWN), Map.entry("fall", Event.MOVE_DOWN), Map.entry("falls", Event.MOVE_DOWN));
    private static final Set<String> LOCATION_PREPOSITIONS = Set.of("on", "at", "in");
    private static final Set<String> VERTICAL_PLACES = Set.of("top", "bottom");
    private static final Pattern NON_WORD = Pattern.compile("[^a-z0-9]+");
    /** How many words after a motion verb its direction may come ("moves to the left"). */
    private static final int DIRECTION_REACH = 3;

    private static Map<String, Colour> colours() {
        Map<String, Colour> colours = new HashMap<>();
        for (Colour c : Colour.values()) colours.put(c.word(), c);
        colours.put("violet", Colour.PURPLE);
        return Map.copyOf(colours);
    }

    private static Map<String, Shape> shapes() {
        Map<String, Shape> shapes = new HashMap<>();
        for (Shape s : Shape.values()) {
            shapes.put(s.word(), s);
            shapes.put(s.plural(), s);
        }
        return Map.copyOf(shapes);
    }

    private static Set<String> pluralShapes() {
        Set<String> plurals = new HashSet<>();
        for (Shape s : Shape.values()) plurals.add(s.plural());
        return Set.copyOf(plurals);
    }

    private CaptionParser() {}

    /** Every attribute {@code text} names (null or blank text names none). */
    public static ParsedCaption parse(String text) {
        String[] words = words(text);
        Optional<Colour> colour = Optional.empty();
        Optional<Shape> shape = Optional.empty();
        Optional<Size> size = Optional.empty();
        OptionalInt count = OptionalInt.empty();
        boolean plural = false;
        for (String w : words) {
            if (colour.isEmpty() && COLOURS.containsKey(w)) colour = Optional.of(COLOURS.get(w));
            if (shape.isEmpty() && SHAPES.containsKey(w)) {
                shape = Optional.of(SHAPES.get(w));
                plural = PLURAL_SHAPES.contains(w);
            }
            if (size.isEmpty() && SIZES.containsKey(w)) size = Optional.of(SIZES.get(w));
            if (count.isEmpty() && COUNTS.containsKey(w)) count = OptionalInt.of(COUNTS.get(w));
        }
        if (count.isEmpty() && shape.isPresent() && !plural) count = OptionalInt.of(1);
        return new ParsedCaption(shape, colour, size, count, event(words));
    }

    /** The attribute {@code task} asks for, read from {@code text} (everything for {@link Task#CAPTION}). */
    public static ParsedCaption parse(Task task, String text) {
        if (task == null) throw new IllegalArgumentException("task must not be null");
        return parse(text).restrictTo(task);
    }

    private static String[] words(String text) {
        if (text == null) return new String[0];
        String trimmed = NON_WORD.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ").strip();
        return trimmed.isEmpty() ? new String[0] : trimmed.split(" ");
    }

    /** The first event phrase in {@code words}; direction words that name a place ("on the left") are not motion. */
    private static Optional<Event> event(String[] words) {
        for (int i = 0; i < words.length; i++) {
            String w = words[i];
            String next = i + 1 < words.length ? words[i + 1] : "";
            if ((w.equals("show") || w.equals("shows")) && next.equals("up")) return Optional.of(Event.APPEAR);
            if ((w.equals("come") || w.equals("comes")) && (next.equals("into") || next.equals("in"))) return Optional.of(Event.APPEAR);
            if (w.equals("not") && MOTION_VERBS.contains(next)) return Optional.of(Event.STAY);
            if (EVENT_WORDS.containsKey(w)) return Optional.of(EVENT_WORDS.get(w));
            if (MOTION_VERBS.contains(w)) {
                for (int j = i + 1; j < words.length && j <= i + DIRECTION_REACH; j++)
                    if (DIRECTIONS.containsKey(words[j]) && !namesPlace(words, j)) return Optional.of(DIRECTIONS.get(words[j]));
            } else if (DIRECTIONS.containsKey(w) && !namesPlace(words, i)) {
                return Optional.of(DIRECTIONS.get(w));
            }
        }
        return Optional.empty();
    }

    /** Whether the direction word at {@code i} names a place: "on the left", "at the top right". */
    private static boolean namesPlace(String[] words, int i) {
        if (i >= 1 && VERTICAL_PLACES.contains(words[i - 1])) return true;
        return i >= 2 && words[i - 1].equals("the") && LOCATION_PREPOSITIONS.contains(words[i - 2]);
    }
}
