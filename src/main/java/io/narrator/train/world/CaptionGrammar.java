package io.narrator.train.world;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.random.RandomGenerator;

/**
 * The text side of the world: a small grammar with synonyms that describes a scene for each
 * {@link Task}, and a single frame for contrastive pretraining. Output is lower-case words separated by
 * single spaces, no punctuation, all from {@link #vocabulary()}; {@link CaptionParser} inverts it.
 *
 * <p>A description is a sequence of slots, each with alternatives (canonical first); {@link #describe}
 * picks one alternative per slot at random, {@link #canonical} the first, {@link #variants} lists every
 * combination.
 */
public final class CaptionGrammar {

    /** The word a frame description uses when no object is visible. */
    public static final String NOTHING = "nothing";

    private static final List<String> NUMBERS = List.of("one", "two", "three");
    private static final List<String> MOTION_VERBS = List.of("moves", "drifts", "slides", "travels", "goes");
    private static final Map<Event, List<String>> DIRECTIONS = new EnumMap<>(Map.of(
            Event.MOVE_LEFT, List.of("to the left", "left", "leftward"),
            Event.MOVE_RIGHT, List.of("to the right", "right", "rightward"),
            Event.MOVE_UP, List.of("up", "upward"),
            Event.MOVE_DOWN, List.of("down", "downward")));
    /** Phrases said whole, in the singular; motion phrases are verb × direction plus these. */
    private static final Map<Event, List<String>> PHRASES = new EnumMap<>(Map.of(
            Event.MOVE_UP, List.of("rises"),
            Event.MOVE_DOWN, List.of("sinks"),
            Event.STAY, List.of("stays still", "stays put", "does not move", "remains still"),
            Event.APPEAR, List.of("appears", "shows up", "comes into view"),
            Event.DISAPPEAR, List.of("disappears", "vanishes", "fades away"),
            Event.GROW, List.of("grows", "gets bigger", "expands"),
            Event.SHRINK, List.of("shrinks", "gets smaller", "contracts")));

    private CaptionGrammar() {}

    /** A description of {@code scene} for {@code task}, with synonyms (and, for captions, whether to name the size) picked by {@code random}. */
    public static String describe(Scene scene, Task task, RandomGenerator random) {
        return pick(slots(scene, task), random);
    }

    /** The canonical description of {@code scene} for {@code task}: the first alternative of every slot. */
    public static String canonical(Scene scene, Task task) {
        return pick(slots(scene, task), null);
    }

    /** Every description the grammar can produce for {@code scene} and {@code task}. */
    public static List<String> variants(Scene scene, Task task) {
        return expand(slots(scene, task));
    }

    /**
     * A static description of the frame of {@code scene} at scene time {@code tMicros}: what is visible
     * and where, e.g. "two small red circles on the left", or "nothing".
     */
    public static String describeFrame(Scene scene, long tMicros, RandomGenerator random) {
        return pick(frameSlots(scene, tMicros), random);
    }

    /** The canonical static description of the frame of {@code scene} at {@code tMicros}. */
    public static String canonicalFrame(Scene scene, long tMicros) {
        return pick(frameSlots(scene, tMicros), null);
    }

    /** Every static description the grammar can produce for the frame of {@code scene} at {@code tMicros}. */
    public static List<String> frameVariants(Scene scene, long tMicros) {
        return expand(frameSlots(scene, tMicros));
    }

    /** The phrases for {@code event} with a singular or plural subject, canonical first. */
    public static List<String> eventPhrases(Event event, boolean plural) {
        List<String> phrases = new ArrayList<>();
        if (event.isMotion())
            for (String verb : MOTION_VERBS)
                for (String direction : DIRECTIONS.get(event)) phrases.add(verb + " " + direction);
        phrases.addAll(PHRASES.getOrDefault(event, List.of()));
        if (plural) phrases.replaceAll(CaptionGrammar::pluralVerb);
        return List.copyOf(phrases);
    }

    /** The phrase with its first word, a third-person singular verb, in the plural: "vanishes" → "vanish", "does not" → "do not". */
    private static String pluralVerb(String phrase) {
        int space = phrase.indexOf(' ');
        String verb = space < 0 ? phrase : phrase.substring(0, space), rest = space < 0 ? "" : phrase.substring(space);
        String plural;
        if (verb.equals("does")) plural = "do";
        else if (verb.endsWith("shes") || verb.endsWith("ches") || verb.endsWith("sses") || verb.endsWith("xes") || verb.endsWith("oes"))
            plural = verb.substring(0, verb.length() - 2);
        else plural = verb.substring(0, verb.length() - 1);
        return plural + rest;
    }

    /** The number word for a count in [1, 3], as a COUNT answer says it. */
    public static String numberWord(int n) {
        if (n < 1 || n > NUMBERS.size()) throw new IllegalArgumentException("no number word for " + n + ": counts are 1 to " + NUMBERS.size());
        return NUMBERS.get(n - 1);
    }

    /** Every word the grammar can emit, sorted: the vocabulary of a word-level tokenizer. */
    public static SortedSet<String> vocabulary() {
        SortedSet<String> words = new TreeSet<>(List.of("a", "an", NOTHING));
        words.addAll(NUMBERS);
        for (Size s : Size.values()) words.add(s.word());
        for (Colour c : Colour.values()) words.add(c.word());
        for (Shape s : Shape.values()) {
            words.add(s.word());
            words.add(s.plural());
        }
        for (Event e : Event.values())
            for (boolean plural : new boolean[] {false, true})
                for (String phrase : eventPhrases(e, plural)) Collections.addAll(words, phrase.split(" "));
        for (Region r : Region.values()) for (String phrase : r.phrases()) Collections.addAll(words, phrase.split(" "));
        return Collections.unmodifiableSortedSet(words);
    }

    private static List<List<String>> slots(Scene scene, Task task) {
        return switch (task) {
            case CAPTION -> List.of(
                    List.of(scene.count() == 1 ? "a" : numberWord(scene.count())),
                    List.of(scene.size().word(), ""),
                    List.of(scene.colour().word()),
                    List.of(scene.shape().noun(scene.count())),
                    eventPhrases(scene.event(), scene.count() > 1));
            case COLOUR -> List.of(List.of(scene.colour().word()));
            case SHAPE -> List.of(List.of(scene.shape().word()));
            case COUNT -> List.of(List.of(numberWord(scene.count())));
            case EVENT -> List.of(eventPhrases(scene.event(), false));
        };
    }

    private static List<List<String>> frameSlots(Scene scene, long tMicros) {
        List<ObjectState> objects = scene.objectsAt(tMicros);
        if (objects.isEmpty()) return List.of(List.of(NOTHING));
        double x = 0, y = 0;
        for (ObjectState o : objects) {
            x += o.x() / objects.size();
            y += o.y() / objects.size();
        }
        int n = objects.size();
        return List.of(
                List.of(n == 1 ? "a" : numberWord(n)),
                List.of(Size.ofRadius(objects.get(0).radius()).word(), ""),
                List.of(scene.colour().word()),
                List.of(scene.shape().noun(n)),
                Region.of(x, y).phrases());
    }

    /** Joins one alternative per slot ({@code random == null}: the first), dropping empty ones and fixing "a" before a vowel. */
    private static String pick(List<List<String>> slots, RandomGenerator random) {
        List<String> parts = new ArrayList<>(slots.size());
        for (List<String> slot : slots) parts.add(random == null ? slot.get(0) : slot.get(random.nextInt(slot.size())));
        return join(parts);
    }

    private static List<String> expand(List<List<String>> slots) {
        List<List<String>> combinations = List.of(List.of());
        for (List<String> slot : slots) {
            List<List<String>> next = new ArrayList<>();
            for (List<String> prefix : combinations)
                for (String choice : slot) {
                    List<String> extended = new ArrayList<>(prefix);
                    extended.add(choice);
                    next.add(extended);
                }
            combinations = next;
        }
        List<String> texts = new ArrayList<>(combinations.size());
        for (List<String> parts : combinations) texts.add(join(parts));
        return List.copyOf(texts);
    }

    private static String join(List<String> parts) {
        StringBuilder text = new StringBuilder();
        for (String part : parts) {
            if (part.isEmpty()) continue;
            if (text.length() > 0) {
                if (text.length() == 1 && text.charAt(0) == 'a' && "aeiou".indexOf(part.charAt(0)) >= 0) text.append('n');
                text.append(' ');
            }
            text.append(part);
        }
        return text.toString();
    }
}
