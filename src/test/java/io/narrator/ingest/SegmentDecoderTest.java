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
    void decodesMediaFragmentsWithASeparateInitSegment() {
        byte[] mp4 = TestMedia.video(COLOURS, 4, true);
        int firstFragment = firstBox(mp4, "moof");
        byte[] init = Arrays.copyOf(mp4, firstFragment);
        byte[] fragments = Arrays.copyOfRange(mp4, firstFragment, mp4.length);
        SegmentDecoder.Result result = SegmentDecoder.decode(
                SegmentDecoder.Container.FMP4, init, fragments, 0, new FpsSampler(1), FpsSampler.NONE, 1_000_000);
        assertThat(result.kept()).extracting(k -> colour(k.image())).containsExactly("red", "green", "blue");
        assertThatThrownBy(() -> SegmentDecoder.decode(
                SegmentDecoder.Container.FMP4, null, fragments, 0, new FpsSampler(1), FpsSampler.NONE, 1_000_000))
                .isInstanceOf(SegmentDecoder.InvalidSegmentException.class);
    }

    /** Offset of the first top-level MP4 box of this type (boxes: 4-byte big-endian size, 4-byte type). */
    private static int firstBox(byte[] mp4, String type) {
        int at = 0;
        while (at + 8 <= mp4.length) {
            int size = java.nio.ByteBuffer.wrap(mp4, at, 4).getInt();
            if (new String(mp4, at + 4, 4, java.nio.charset.StandardCharsets.US_ASCII).equals(type)) return at;
            at += size;
        }
        throw new AssertionError("no " + type + " box");
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
