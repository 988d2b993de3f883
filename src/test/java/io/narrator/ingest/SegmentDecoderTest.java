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

    private static SegmentDecoder.Result decodeDeclaring(byte[] ts, long durationMicros) {
        return SegmentDecoder.decode(new SegmentDecoder.Segment(SegmentDecoder.Container.MPEGTS, null, ts, 0, durationMicros),
                new FpsSampler(1), FpsSampler.NONE, 1_000_000);
    }

    @Test
    void aDeclaredDurationMustAgreeWithThePresentationTimes() {
        byte[] ts = TestMedia.video(COLOURS, 5, false); // frames at 0.0 .. 2.8 s, each lasting 0.2 s
        assertThat(decodeDeclaring(ts, 3_000_000).kept()).hasSize(3);
        assertThat(decodeDeclaring(ts, 1_900_000).kept()).as("a frame up to a second past the end: rounding").hasSize(3);
        assertThat(decodeDeclaring(ts, 4_000_000).kept()).as("content ending a frame and a second early").hasSize(3);
        assertThatThrownBy(() -> decodeDeclaring(ts, 4_100_000)).isInstanceOf(SegmentDecoder.InvalidSegmentException.class)
                .hasMessageContaining("declares 4.100 s but its frames end at +2.800 s")
                .matches(e -> ((SegmentDecoder.InvalidSegmentException) e).problem() == SegmentDecoder.Problem.DURATION_MISMATCH);
        assertThatThrownBy(() -> decodeDeclaring(ts, 1_800_000)).isInstanceOf(SegmentDecoder.InvalidSegmentException.class)
                .hasMessageContaining("a frame at +2.800 s is beyond the segment's declared duration of 1.800 s");
        assertThat(SegmentDecoder.decode(SegmentDecoder.Container.MPEGTS, null, ts, 0, new FpsSampler(1), FpsSampler.NONE, 1_000_000).kept())
                .as("no declared duration (a prompt's clip): no check").hasSize(3);
    }

    @Test
    void keptFramesCanBeKeptAsWhatTheCallerMakesOfThem() {
        byte[] ts = TestMedia.video(COLOURS, 5, false);
        SegmentDecoder.Decoded<String> decoded = SegmentDecoder.decode(new SegmentDecoder.Segment(SegmentDecoder.Container.MPEGTS, null, ts, 0, 3_000_000),
                new FpsSampler(1), FpsSampler.NONE, 1_000_000, SegmentDecoderTest::colour);
        assertThat(decoded.kept()).extracting(SegmentDecoder.Kept::frame).containsExactly("red", "green", "blue");
        assertThat(decoded.decodedFrames()).isEqualTo(15);
    }

    @Test
    void aSegmentMustBeWholePacketsOrBoxes() {
        byte[] ts = TestMedia.video(COLOURS, 5, false);
        assertThat(ContainerStructure.check(SegmentDecoder.Container.MPEGTS, null, ts)).isNull();
        assertThat(ContainerStructure.check(SegmentDecoder.Container.MPEGTS, null, Arrays.copyOf(ts, ts.length - 1)))
                .isEqualTo("MPEGTS segment of " + (ts.length - 1) + " bytes ends mid-packet: not a whole number of 188-byte packets (truncated?)");
        byte[] damaged = ts.clone();
        damaged[188 * 3] = 0;
        assertThat(ContainerStructure.check(SegmentDecoder.Container.MPEGTS, null, damaged))
                .isEqualTo("MPEGTS packet 3 of " + ts.length / 188 + " does not start with the sync byte 0x47 (corrupt)");
        byte[] mp4 = TestMedia.video(COLOURS, 4, true);
        assertThat(ContainerStructure.check(SegmentDecoder.Container.FMP4, null, mp4)).isNull();
        int firstFragment = firstBox(mp4, "moof");
        assertThat(ContainerStructure.check(SegmentDecoder.Container.FMP4, Arrays.copyOf(mp4, firstFragment), Arrays.copyOfRange(mp4, firstFragment, mp4.length)))
                .isNull();
        assertThat(ContainerStructure.check(SegmentDecoder.Container.FMP4, Arrays.copyOf(mp4, firstFragment - 3), Arrays.copyOfRange(mp4, firstFragment, mp4.length)))
                .startsWith("FMP4 init segment of " + (firstFragment - 3) + " bytes ends inside box 'moov'");
        assertThat(ContainerStructure.check(SegmentDecoder.Container.FMP4, null, Arrays.copyOf(mp4, mp4.length - 5))).contains("ends inside box 'mfra'");
    }

    private static String colour(java.awt.image.BufferedImage image) {
        int rgb = image.getRGB(image.getWidth() / 2, image.getHeight() / 2);
        return FakeNarration.colourName(new byte[] {(byte) (rgb >> 16), (byte) (rgb >> 8), (byte) rgb});
    }
}
