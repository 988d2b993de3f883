package io.narrator.train.world;

/**
 * What a text about a clip answers. The model is never told the task in words: in-context examples
 * show it, so each task's answers have a form of their own (a sentence, one colour word, one shape
 * word, one number word, a short verb phrase).
 */
public enum Task {
    /** A full caption: count, (size,) colour, shape and event, e.g. "two small blue squares drift upward". */
    CAPTION,
    /** The colour only, e.g. "red". */
    COLOUR,
    /** The shape only, singular, e.g. "circle". */
    SHAPE,
    /** The number of objects as a word, e.g. "two". */
    COUNT,
    /** The event only, as a short phrase, e.g. "moves left", "stays still", "appears". */
    EVENT
}
