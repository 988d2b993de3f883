package io.narrator.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The validation and value semantics of what ingest publishes and the sink that collects it. */
class EncodedRecordsTest {
    private static final byte[] JPEG = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xd9};

    @Test
    void framesCompareByContentAndRejectBadFields() {
        EncodedFrame frame = new EncodedFrame("cam", 3, 1_000, 320, 240, FrameEncoding.JPEG, JPEG);
        assertThat(frame).isEqualTo(new EncodedFrame("cam", 3, 1_000, 320, 240, FrameEncoding.JPEG, JPEG.clone()));
        assertThat(frame).hasSameHashCodeAs(new EncodedFrame("cam", 3, 1_000, 320, 240, FrameEncoding.JPEG, JPEG.clone()));
        assertThat(frame.toString()).isEqualTo("EncodedFrame[cam #3 at 1000 us, 320x240 JPEG, 4 bytes]");
        assertThatThrownBy(() -> new EncodedFrame(" ", 0, 0, 1, 1, FrameEncoding.JPEG, JPEG)).hasMessage("a frame needs a non-blank stream id");
        assertThatThrownBy(() -> new EncodedFrame("cam", -1, 0, 1, 1, FrameEncoding.JPEG, JPEG)).hasMessage("frame sequence must be >= 0, got -1");
        assertThatThrownBy(() -> new EncodedFrame("cam", 0, 0, 0, 1, FrameEncoding.JPEG, JPEG)).hasMessage("frame size must be positive, got 0x1");
        assertThatThrownBy(() -> new EncodedFrame("cam", 0, 0, 1, 1, FrameEncoding.JPEG, new byte[0])).hasMessage("frame 0 of cam has no bytes");
        assertThatThrownBy(() -> new EncodedFrame("cam", 0, 0, 2, 2, FrameEncoding.RAW_RGB24, new byte[11]))
                .hasMessage("a RAW_RGB24 frame of 2x2 needs 12 bytes, got 11");
        assertThat(new EncodedFrame("cam", 0, 0, 2, 2, FrameEncoding.RAW_RGB24, new byte[12]).bytes()).hasSize(12);
    }

    @Test
    void segmentsNeedAnInitSegmentExactlyWhenTheyAreFragmentedMp4() {
        EncodedSegment ts = new EncodedSegment("cam", 0, 5, 2_000_000, SegmentContainer.MPEGTS, null, JPEG);
        assertThat(ts).isEqualTo(new EncodedSegment("cam", 0, 5, 2_000_000, SegmentContainer.MPEGTS, null, JPEG.clone()));
        assertThat(new EncodedSegment("cam", 0, 5, 2_000_000, SegmentContainer.FMP4, JPEG, JPEG).initSegment()).isEqualTo(JPEG);
        assertThatThrownBy(() -> new EncodedSegment("cam", 0, 5, 2_000_000, SegmentContainer.MPEGTS, JPEG, JPEG))
                .hasMessage("an MPEG-TS segment is self-contained and takes no init segment");
        assertThatThrownBy(() -> new EncodedSegment("cam", 0, 5, 2_000_000, SegmentContainer.FMP4, null, JPEG))
                .hasMessage("a fragmented-MP4 segment needs the stream's init segment");
        assertThatThrownBy(() -> new EncodedSegment("cam", 0, 5, 0, SegmentContainer.MPEGTS, null, JPEG))
                .hasMessage("segment duration must be positive, got 0 us");
    }

    @Test
    void theCollectingSinkKeepsArrivalOrderAndRefusesAfterClose() {
        CollectingSink sink = new CollectingSink();
        EncodedFrame first = new EncodedFrame("cam", 0, 0, 1, 1, FrameEncoding.JPEG, JPEG);
        EncodedFrame second = new EncodedFrame("cam", 1, 1, 1, 1, FrameEncoding.JPEG, JPEG);
        sink.onFrame(first);
        sink.onFrame(second);
        sink.close();
        assertThat(sink.frames()).containsExactly(first, second);
        assertThat(sink.isClosed()).isTrue();
        assertThatThrownBy(() -> sink.onFrame(first)).isInstanceOf(IllegalStateException.class).hasMessage("this sink is closed");
    }
}
