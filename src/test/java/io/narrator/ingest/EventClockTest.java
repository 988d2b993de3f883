package io.narrator.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;

class EventClockTest {
    private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    private static final long T0_MICROS = EventClock.toMicros(T0);

    /** A wall clock that tests move by hand. */
    private static final class ManualClock implements InstantSource {
        Instant now;

        ManualClock(Instant now) {
            this.now = now;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void anchorsTheFirstFrameAtTheStartTimeAndFollowsMediaTime() {
        EventClock clock = new EventClock(T0, new ManualClock(Instant.parse("2030-01-01T00:00:00Z")));
        assertThat(clock.eventMicros(5_000_000)).isEqualTo(T0_MICROS);
        assertThat(clock.eventMicros(5_066_666)).isEqualTo(T0_MICROS + 66_666);
        assertThat(clock.eventMicros(7_000_000)).isEqualTo(T0_MICROS + 2_000_000);
    }

    @Test
    void anchorsOnTheWallClockToTheMillisecondWithoutAStartTime() {
        EventClock clock = new EventClock(null, new ManualClock(Instant.parse("2025-03-01T10:00:00.123456789Z")));
        assertThat(clock.eventMicros(0)).isEqualTo(T0_MICROS + 123_000);
        assertThat(clock.eventMicros(1_000_000)).isEqualTo(T0_MICROS + 1_123_000);
    }

    @Test
    void reanchorsALiveSourceOnTheWallClockAfterAReconnect() {
        ManualClock wall = new ManualClock(T0);
        EventClock clock = new EventClock(null, wall);
        assertThat(clock.eventMicros(40_000_000)).isEqualTo(T0_MICROS);
        assertThat(clock.eventMicros(43_000_000)).isEqualTo(T0_MICROS + 3_000_000);
        // the camera drops; 10 s later it is back with its clock restarted at 0
        wall.now = T0.plus(Duration.ofSeconds(13));
        clock.reconnected();
        assertThat(clock.eventMicros(0)).isEqualTo(T0_MICROS + 13_000_000);
        assertThat(clock.eventMicros(500_000)).isEqualTo(T0_MICROS + 13_500_000);
    }

    @Test
    void neverGoesBackInTimeAcrossAReconnect() {
        ManualClock wall = new ManualClock(T0);
        EventClock clock = new EventClock(T0, wall);
        clock.eventMicros(0);
        clock.eventMicros(5_000_000); // the file ran ahead of the wall clock: 5 s of media in 0 s
        clock.reconnected();
        assertThat(clock.eventMicros(0)).isEqualTo(T0_MICROS + 5_000_001);
    }

    @Test
    void parsesInstantsOffsetsAndEpochMillis() {
        assertThat(EventClock.parseStartTime("2025-03-01T10:00:00Z")).isEqualTo(T0);
        assertThat(EventClock.parseStartTime("2025-03-01T11:00:00+01:00")).isEqualTo(T0);
        assertThat(EventClock.parseStartTime(" " + T0.toEpochMilli() + " ")).isEqualTo(T0);
        assertThat(EventClock.parseStartTime("2025-03-01T10:00:00.250Z")).isEqualTo(T0.plusMillis(250));
    }
}
