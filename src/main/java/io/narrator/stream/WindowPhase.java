package io.narrator.stream;

import java.util.Locale;

/**
 * Where each stream's clip windows end within the hop ({@code window.phase}). Windows always end every hop
 * seconds; the phase is the fixed offset of those ends from the multiples of the hop since time zero.
 */
public enum WindowPhase {
    /** Every stream's windows end at multiples of the hop: windows of streams that started together close together. */
    ALIGNED,
    /**
     * Each stream's windows end a whole number of seconds after the multiples of the hop, taken from its id
     * ({@code String.hashCode} modulo the hop in seconds, so ids that differ in their last character take turns):
     * with many streams, a hop's clips close spread over its seconds instead of all in one.
     */
    SPREAD;

    /** The offset of {@code streamId}'s window ends from the multiples of a hop of {@code hopSeconds}, in microseconds. */
    public long offsetMicros(String streamId, int hopSeconds) {
        if (hopSeconds <= 0) throw new IllegalArgumentException("hop must be positive, got " + hopSeconds + " s");
        return this == ALIGNED ? 0 : Math.floorMod(streamId.hashCode(), hopSeconds) * 1_000_000L;
    }

    /** The value as written in configuration, e.g. {@code spread}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code aligned} or {@code spread} (any case). */
    public static WindowPhase parse(String value) {
        for (WindowPhase p : values()) if (p.key().equalsIgnoreCase(value.trim())) return p;
        throw new IllegalArgumentException(ConfigKey.WINDOW_PHASE.key() + " must be aligned or spread, got '" + value.trim() + "'");
    }
}
