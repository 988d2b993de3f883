package io.narrator.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.stream.FakeNarration;
import io.narrator.stream.TestMedia;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SegmentDecoderTest {
    private static final List<String> COLOURS = List.of("red", "green", "blue");

    @Test
    void keepsOneFramePerSecondOfAnMpegTsSegmentByPresentationTime() {
        byte[] ts = TestMedia.video(COLOURS, 5, false);
        SegmentDecoder.Result result = SegmentDecoder.decode(
                SegmentDecoder.Container.MPEGTS, null, ts, 10_000_000, new FpsSampler(1), FpsSampler.NONE, 1_000_000);
        assertThat(result.decodedFrames()).isEqualTo(15);
        assertThat(result.kept()).extracting(SegmentDecoder.SampledImage::timestampMicros)
                .containsExactly(10_000_000L, 11_000_000L, 12_000_000L);
        assertThat(result.kept()).extracting(k -> colour(k.image())).containsExactly("red", "green", "blue");
        assertThat(result.dropped()).containsEntry(FpsSampler.Decision.DROP_RATE, 12);
        assertThat(result.lastKeptMicros()).isEqualTo(12_000_000L);
    }

    @Test
    void decodesFragmentedMp4AndContinuesFromTheLastKeptFrame() {
        byte[] mp4 = TestMedia.video(COLOURS, 4, true);
        SegmentDecoder.Result result = SegmentDecoder.decode(
                SegmentDecoder.Container.FMP4, null, mp4, 10_000_000, new FpsSampler(1), 10_500_000, 1_000_000);
        assertThat(result.kept()).extracting(SegmentDecoder.SampledImage::timestampMicros).containsExactly(11_000_000L, 12_000_000L);
        assertThat(result.dropped()).containsOnly(java.util.Map.entry(FpsSampler.Decision.DROP_LATE, 2),
                java.util.Map.entry(FpsSampler.Decision.DROP_DUPLICATE, 1), java.util.Map.entry(FpsSampler.Decision.DROP_RATE, 7));
    }

    @Test
    void rejectsCorruptTruncatedAndOversizedSegments() {
        byte[] ts = TestMedia.video(COLOURS, 5, false);
        byte[] garbage = new byte[4000];
        Arrays.fill(garbage, (byte) 0x5A);
        assertThatThrownBy(() -> SegmentDecoder.decode(SegmentDecoder.Container.MPEGTS, null, garbage, 0, new FpsSampler(1), FpsSampler.NONE, 1_000_000))
                .isInstanceOf(SegmentDecoder.InvalidSegmentException.class);
        byte[] truncated = Arrays.copyOf(ts, 200);
        assertThatThrownBy(() -> SegmentDecoder.decode(SegmentDecoder.Container.MPEGTS, null, truncated, 0, new FpsSampler(1), FpsSampler.NONE, 1_000_000))
                .isInstanceOf(SegmentDecoder.InvalidSegmentException.class);
        assertThatThrownBy(() -> SegmentDecoder.decode(SegmentDecoder.Container.MPEGTS, null, ts, 0, new FpsSampler(1), FpsSampler.NONE, 1000))
                .isInstanceOf(SegmentDecoder.InvalidSegmentException.class)
                .hasMessageContaining("max.pixels")
                .matches(e -> ((SegmentDecoder.InvalidSegmentException) e).tooManyPixels());
    }

    private static String colour(java.awt.image.BufferedImage image) {
        int rgb = image.getRGB(image.getWidth() / 2, image.getHeight() / 2);
        return FakeNarration.colourName(new byte[] {(byte) (rgb >> 16), (byte) (rgb >> 8), (byte) rgb});
    }
}
