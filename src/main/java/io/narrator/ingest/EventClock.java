package io.narrator.ingest;

import java.time.Instant;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * Turns the presentation times of a source into event times (microseconds since the epoch), the same
 * way for every kind of source:
 *
 * <ul>
 *   <li>The first frame gets the anchor: {@code --start-time} if given, otherwise the wall clock (to the
 *       millisecond) when that frame is read.
 *   <li>Every later frame of the same connection gets {@code anchor + (its PTS - the first frame's PTS)}:
 *       media time, so a file ingested faster than real time keeps its own spacing.
 *   <li>After a live source reconnects, its PTS restart, so the next frame is re-anchored to the
 *       event time the wall clock has reached since the first frame ({@code anchor + wall time
 *       elapsed}), and never earlier than the last event time given out.
 * </ul>
 *
 * For a live source without {@code --start-time} this is the wall clock at the first grab plus media
 * time, which follows the camera's own clock without the jitter of stamping each grab.
 */
public final class EventClock {
    private static final long UNSET = Long.MIN_VALUE;

    private final Instant startTime;
    private final InstantSource wall;
    private long firstWallMicros = UNSET;
    private long firstEventMicros;
    private long anchorEventMicros;
    private long anchorMediaMicros;
    private long lastEventMicros = UNSET;
    private boolean reanchor;

    /**
     * @param startTime event time of the first frame, or null for the wall clock when it is read
     * @param wall the wall clock
     */
    public EventClock(Instant startTime, InstantSource wall) {
        this.startTime = startTime;
        this.wall = Objects.requireNonNull(wall, "wall");
    }

    /** The event time of a frame with presentation time {@code mediaMicros} on the current connection. */
    public long eventMicros(long mediaMicros) {
        if (firstWallMicros == UNSET) {
            firstWallMicros = toMicros(wall.instant());
            firstEventMicros = startTime != null ? toMicros(startTime) : toMicros(wall.instant().truncatedTo(ChronoUnit.MILLIS));
            anchorEventMicros = firstEventMicros;
            anchorMediaMicros = mediaMicros;
        } else if (reanchor) {
            long elapsed = toMicros(wall.instant()) - firstWallMicros;
            anchorEventMicros = Math.max(firstEventMicros + elapsed, lastEventMicros + 1);
            anchorMediaMicros = mediaMicros;
            reanchor = false;
        }
        long event = anchorEventMicros + (mediaMicros - anchorMediaMicros);
        if (lastEventMicros == UNSET || event > lastEventMicros) lastEventMicros = event;
        return event;
    }

    /** Marks a new connection: its presentation times start afresh and the next frame is re-anchored. */
    public void reconnected() {
        if (firstWallMicros != UNSET) reanchor = true;
    }

    /**
     * Parses {@code --start-time}: an ISO-8601 instant ({@code 2025-01-31T12:00:00Z}, an offset such as
     * {@code +01:00} allowed) or milliseconds since the epoch ({@code 1738324800000}).
     *
     * @throws IllegalArgumentException naming the text and both accepted forms
     */
    public static Instant parseStartTime(String text) {
        String usage = ": use an ISO-8601 instant such as 2025-01-31T12:00:00Z or epoch milliseconds such as 1738324800000";
        if (text == null || text.isBlank()) throw new IllegalArgumentException("empty start time" + usage);
        String t = text.strip();
        Instant instant;
        if (t.matches("-?\\d+")) {
            try {
                instant = Instant.ofEpochMilli(Long.parseLong(t));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("start time '" + text + "' is out of range" + usage, e);
            }
        } else {
            try {
                instant = OffsetDateTime.parse(t).toInstant();
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("cannot read start time '" + text + "'" + usage, e);
            }
        }
        try {
            toMicros(instant);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("start time '" + text + "' is out of range" + usage, e);
        }
        return instant;
    }

    static long toMicros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    }
}
