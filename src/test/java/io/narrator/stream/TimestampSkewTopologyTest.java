package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A stream's clock ({@link StreamClocks}) holds against stray event times and moves when the stream's source really
 * jumped: a frame dated 2099 or milliseconds sent as microseconds are dead letters, never a reason to drop the
 * stream's real frames as late; a camera back after a long silence, or a clock that jumped for good, is narrated
 * again.
 */
class TimestampSkewTopologyTest {
    /** 2023-11-14, seconds. */
    private static final double B = 1_700_000_000;
    private static final double HOURS_2 = 7_200;

    private static void frame(TopologyHarness h, long sequence, double seconds, String colour) {
        h.frame(TestMedia.frame("cam", sequence, seconds, colour));
    }

    private static List<String> reasons(TopologyHarness h) {
        return h.deadLetters.readValuesToList().stream().map(DeadLetter::getReason).toList();
    }

    @Test
    void strayDatesBetweenRealFramesAreDeadLettersAndNeverMoveTheClock() {
        try (TopologyHarness h = new TopologyHarness()) {
            String[] colours = {"red", "green", "blue", "yellow", "white"};
            for (int i = 0; i < colours.length; i++) {
                frame(h, i, B + i, colours[i]);
                frame(h, 100 + i, MalformedRecords.YEAR_2099_MICROS / 1e6, "black"); // a frame dated 2099
                frame(h, 200 + i, (B + i + 0.5) / 1000, "black"); // milliseconds sent as microseconds: 1970
                if (i == 2) frame(h, 300, MalformedRecords.YEAR_2099_MICROS / 1e6 + 1, "black"); // two strays in a row
            }
            assertThat(reasons(h)).hasSize(11).containsOnly("TIMESTAMP_SKEW");
            assertThat(TopologyHarness.texts(h.settle()))
                    .containsExactly("frames=red", "frames=red,green", "frames=green,blue", "frames=blue,yellow");
        }
    }

    @Test
    void aWrongFirstRecordIsOutvotedByTheStreamsRealFramesAndTheStreamRestartsFromThem() {
        try (TopologyHarness h = new TopologyHarness()) {
            frame(h, 0, MalformedRecords.YEAR_2099_MICROS / 1e6, "white"); // the first record anchors the clock: nothing to check it against
            frame(h, 1, B, "red");
            frame(h, 2, B + 1, "green");
            assertThat(reasons(h)).containsExactly("TIMESTAMP_SKEW", "TIMESTAMP_SKEW");
            frame(h, 3, B + 2, "blue"); // the third real frame in a row: the clock jumps back to it
            frame(h, 4, B + 3, "yellow");
            frame(h, 5, B + 4, "cyan");
            assertThat(reasons(h)).isEmpty();
            List<Caption> captions = h.settle();
            assertThat(TopologyHarness.texts(captions)).containsExactly("frames=white", "frames=blue", "frames=blue,yellow");
            assertThat(captions).extracting(Caption::getClipIndex).containsExactly(0L, 1L, 2L);
            assertThat(captions.get(1).getWindowEndMicros()).isEqualTo(Math.round((B + 3) * 1e6));
        }
    }

    @Test
    void aCameraBackAfterASilenceLongerThanTheSkewIsNarratedFromItsFirstFrame() {
        try (TopologyHarness h = new TopologyHarness()) {
            frame(h, 0, B, "red");
            frame(h, 1, B + 1, "green");
            frame(h, 2, B + 2, "blue");
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=red", "frames=red,green");
            h.advance(Duration.ofMinutes(61)); // silent for longer than timestamp.skew.ms: the idle flush narrates the last window
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=green,blue");
            frame(h, 3, B + HOURS_2, "yellow"); // its clock ran on two hours
            frame(h, 4, B + HOURS_2 + 1, "white");
            frame(h, 5, B + HOURS_2 + 2, "cyan");
            assertThat(reasons(h)).isEmpty();
            // the window after the flushed one still holds the old last frame (as after any pause), then the new time's windows
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=blue", "frames=yellow", "frames=yellow,white");
        }
    }

    @Test
    void aClockThatJumpedForGoodMovesAfterEnoughRecordsInARow() {
        try (TopologyHarness h = new TopologyHarness()) {
            frame(h, 0, B, "red");
            frame(h, 1, B + 1, "green");
            frame(h, 2, B + 2, "blue");
            frame(h, 3, B + HOURS_2, "yellow");
            frame(h, 4, B + HOURS_2 + 1, "white");
            assertThat(reasons(h)).containsExactly("TIMESTAMP_SKEW", "TIMESTAMP_SKEW");
            frame(h, 5, B + HOURS_2 + 2, "cyan"); // the third in a row: the clock jumps forward
            frame(h, 6, B + HOURS_2 + 3, "magenta");
            frame(h, 7, B + HOURS_2 + 4, "red");
            assertThat(reasons(h)).isEmpty();
            assertThat(TopologyHarness.texts(h.settle()))
                    .containsExactly("frames=red", "frames=red,green", "frames=green,blue", "frames=blue", "frames=cyan", "frames=cyan,magenta");
        }
    }

    @Test
    void aSegmentFarFromTheClockIsADeadLetterAndTheClockHolds() {
        try (TopologyHarness h = new TopologyHarness()) {
            frame(h, 0, B, "red");
            h.segment(TestMedia.segment("cam", 1, MalformedRecords.YEAR_2099_MICROS / 1e6, 2, "MPEGTS", TestMedia.video(List.of("white", "white"), 5, false)));
            h.segment(TestMedia.segment("cam", 2, B + 1, 2, "MPEGTS", TestMedia.video(List.of("green", "blue"), 5, false)));
            frame(h, 3, B + 3, "yellow");
            assertThat(reasons(h)).containsExactly("TIMESTAMP_SKEW");
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=red", "frames=red,green", "frames=green,blue");
        }
    }
}
