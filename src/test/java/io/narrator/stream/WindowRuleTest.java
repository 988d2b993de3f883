package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The window rule on its own: ends on the hop grid, windows closed by a later frame, empty windows skipped, clips trimmed. */
class WindowRuleTest {
    static final long S = 1_000_000L;

    static WindowRule.FrameTimes times(long... seconds) {
        TreeSet<Long> set = new TreeSet<>();
        for (long s : seconds) set.add(s * S);
        return micros -> {
            Long t = set.ceiling(micros);
            return t == null ? OptionalLong.empty() : OptionalLong.of(t);
        };
    }

    @Test
    void endsLieOnTheHopGridShiftedByThePhase() {
        assertThat(WindowRule.endAfter(0, 4 * S, 0)).isEqualTo(4 * S);
        assertThat(WindowRule.endAfter(4 * S, 4 * S, 0)).isEqualTo(8 * S);
        assertThat(WindowRule.endAfter(2 * S, 4 * S, S)).isEqualTo(5 * S);
        assertThat(WindowRule.endAtOrBefore(5 * S, 4 * S, S)).isEqualTo(5 * S);
        assertThat(WindowRule.endAtOrBefore(4 * S, 4 * S, S)).isEqualTo(S);
    }

    @Test
    void aFrameAtOrAfterAnEndClosesEveryWindowUpToIt() {
        // frames at 0..8 s; the frame at 8 s closes the windows ending at 4 and 8 (8 s windows, 4 s hop)
        WindowRule.Advance a = WindowRule.advance(4 * S, 8 * S, 8 * S, 4 * S, 0, times(0, 1, 2, 3, 4, 5, 6, 7, 8));
        assertThat(a.closed()).containsExactly(new WindowRule.Window(-4 * S, 4 * S), new WindowRule.Window(0, 8 * S));
        assertThat(a.nextEndMicros()).isEqualTo(12 * S);
        assertThat(a.emptySkipped()).isZero();
        assertThat(WindowRule.advance(12 * S, 11 * S, 8 * S, 4 * S, 0, times(11)).closed()).isEmpty();
    }

    @Test
    void emptyWindowsAreSkippedToTheFirstEndAfterTheNextFrame() {
        // frames at 1 s, then nothing until 30 s: the window ending at 4 closes; the ones ending at 8 … 28 hold nothing
        WindowRule.Advance a = WindowRule.advance(4 * S, 30 * S, 8 * S, 4 * S, 0, times(1, 30));
        assertThat(a.closed()).containsExactly(new WindowRule.Window(-4 * S, 4 * S), new WindowRule.Window(0, 8 * S));
        assertThat(a.nextEndMicros()).isEqualTo(32 * S);
        assertThat(a.emptySkipped()).isEqualTo(5); // 12, 16, 20, 24, 28
    }

    @Test
    void anIdleStreamsWindowClosesOnlyWhenItHoldsFrames() {
        assertThat(WindowRule.holdsFrames(8 * S, 8 * S, times(3))).isTrue();
        assertThat(WindowRule.holdsFrames(8 * S, 8 * S, times(8))).isFalse();
        assertThat(WindowRule.holdsFrames(8 * S, 4 * S, times(3))).isFalse();
    }

    @Test
    void aClipKeepsTheLatestFrames() {
        assertThat(WindowRule.latest(List.of(1, 2, 3, 4, 5), 3)).containsExactly(3, 4, 5);
        assertThat(WindowRule.latest(List.of(1, 2), 3)).containsExactly(1, 2);
    }
}
