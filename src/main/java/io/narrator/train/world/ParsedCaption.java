package io.narrator.train.world;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * The attributes read back from a text by {@link CaptionParser}; each is empty when the text does not
 * say it. A count of 0 means the text says nothing is visible.
 */
public record ParsedCaption(Optional<Shape> shape, Optional<Colour> colour, Optional<Size> size, OptionalInt count, Optional<Event> event) {

    /** A text that names nothing. */
    public static final ParsedCaption EMPTY = new ParsedCaption(Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(), Optional.empty());

    public ParsedCaption {
        if (shape == null || colour == null || size == null || count == null || event == null)
            throw new IllegalArgumentException("parsed attributes must be Optional.empty(), not null");
    }

    /** The attributes of {@code scene}: what a perfect caption says. */
    public static ParsedCaption of(Scene scene) {
        return new ParsedCaption(Optional.of(scene.shape()), Optional.of(scene.colour()), Optional.of(scene.size()),
                OptionalInt.of(scene.count()), Optional.of(scene.event()));
    }

    /** Only the attribute that {@code task} asks for (everything for {@link Task#CAPTION}). */
    public ParsedCaption restrictTo(Task task) {
        return switch (task) {
            case CAPTION -> this;
            case COLOUR -> new ParsedCaption(Optional.empty(), colour, Optional.empty(), OptionalInt.empty(), Optional.empty());
            case SHAPE -> new ParsedCaption(shape, Optional.empty(), Optional.empty(), OptionalInt.empty(), Optional.empty());
            case COUNT -> new ParsedCaption(Optional.empty(), Optional.empty(), Optional.empty(), count, Optional.empty());
            case EVENT -> new ParsedCaption(Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(), event);
        };
    }

    /**
     * Whether this answers {@code task} right for {@code scene}: for {@link Task#CAPTION}, shape, colour,
     * count and event must all be right (size is not scored); otherwise the task's one attribute.
     */
    public boolean isCorrect(Task task, Scene scene) {
        return switch (task) {
            case CAPTION -> shapeCorrect(scene) && colourCorrect(scene) && countCorrect(scene) && eventCorrect(scene);
            case COLOUR -> colourCorrect(scene);
            case SHAPE -> shapeCorrect(scene);
            case COUNT -> countCorrect(scene);
            case EVENT -> eventCorrect(scene);
        };
    }

    /** Whether the shape is said and right. */
    public boolean shapeCorrect(Scene scene) {
        return shape.equals(Optional.of(scene.shape()));
    }

    /** Whether the colour is said and right. */
    public boolean colourCorrect(Scene scene) {
        return colour.equals(Optional.of(scene.colour()));
    }

    /** Whether the count is said and right. */
    public boolean countCorrect(Scene scene) {
        return count.equals(OptionalInt.of(scene.count()));
    }

    /** Whether the event is said and right. */
    public boolean eventCorrect(Scene scene) {
        return event.equals(Optional.of(scene.event()));
    }
}
