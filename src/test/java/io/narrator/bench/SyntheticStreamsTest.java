package io.narrator.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SyntheticStreamsTest {
    private static final SyntheticStreams STREAMS = SyntheticStreams.render(10, 4, 64, 48, 2, 7); // 8 loops of 8 frames

    @Test
    void framesAreJpegsOfTheRequestedSize() {
        BufferedImage image = PipelineBenchmark.decode(STREAMS.frame(3, 5));
        assertThat(image.getWidth()).isEqualTo(64);
        assertThat(image.getHeight()).isEqualTo(48);
        assertThat(STREAMS.meanFrameBytes()).isPositive();
        assertThat(SyntheticStreams.streamId(3)).isEqualTo("cam-003");
    }

    @Test
    void streamsShowDifferentVideoAndWrapAroundTheirLoop() {
        assertThat(STREAMS.frame(0, 0)).isNotEqualTo(STREAMS.frame(1, 0)); // different loops
        // streams 0 and 8 share loop 0, stream 8 playing it from a later frame
        boolean shifted = IntStream.range(1, 8).anyMatch(d -> IntStream.range(0, 8).allMatch(k -> Arrays.equals(STREAMS.frame(8, k), STREAMS.frame(0, k + d))));
        assertThat(shifted).isTrue();
        assertThat(Arrays.equals(STREAMS.frame(2, 3), STREAMS.frame(2, 3 + 8))).as("a loop of 2 s at 4 fps repeats after 8 frames").isTrue();
    }

    @Test
    void badArgumentsAreRejectedWithTheirName() {
        assertThatThrownBy(() -> STREAMS.frame(10, 0)).hasMessage("stream must be in [0, 10), got 10");
        assertThatThrownBy(() -> SyntheticStreams.render(0, 4, 64, 48, 2, 7)).hasMessage("streams must be >= 1, got 0");
        assertThatThrownBy(() -> SyntheticStreams.render(1, 4, 16, 48, 2, 7)).hasMessageContaining("frame size must be between 32x32");
    }
}
