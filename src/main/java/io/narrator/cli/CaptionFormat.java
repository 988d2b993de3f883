package io.narrator.cli;

/** How {@code caption}, {@code tail} and {@code demo} print captions ({@code --format}). */
enum CaptionFormat {
    /** One line per caption: stream, time range, text, latency. */
    TEXT,
    /** One JSON object per line (JSON Lines) with every field of the Caption record. */
    JSON,
    /** WebVTT subtitles: a cue per caption over its clip's time range. */
    WEBVTT,
    /** SubRip subtitles: a numbered cue per caption over its clip's time range. */
    SRT
}
