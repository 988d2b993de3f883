package io.narrator.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.avro.VideoFrame;
import io.narrator.avro.VideoSegment;
import io.narrator.ingest.FpsSampler;
import io.narrator.stream.FakeNarration;
import io.narrator.stream.TestMedia;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** A stream's latest frame as the page serves it: JPEG and PNG as they came, raw frames and segments as JPEG. */
class LatestFrameTest {
    private static final long MAX_PIXELS = 1 << 20;

    @Test
    void jpegAndPngFramesAreServedAsTheyArrived() {
        byte[] jpeg = TestMedia.jpeg("red");
        LatestFrame frame = LatestFrame.of(TestMedia.frame("cam", 4, 2_000_000, "JPEG", TestMedia.W, TestMedia.H, jpeg), MAX_PIXELS);
        assertThat(frame.image().contentType()).isEqualTo("image/jpeg");
        assertThat(frame.image().bytes()).isEqualTo(jpeg);
        assertThat(frame.source()).isEqualTo("frames");
        assertThat(frame.timestampMicros()).isEqualTo(2_000_000);
        assertThat(frame.sequence()).isEqualTo(4);

        byte[] png = TestMedia.png("blue");
        LatestFrame pngFrame = LatestFrame.of(TestMedia.frame("cam", 5, 3_000_000, "PNG", TestMedia.W, TestMedia.H, png), MAX_PIXELS);
        assertThat(pngFrame.image().contentType()).isEqualTo("image/png");
        assertThat(pngFrame.image().bytes()).isEqualTo(png);
    }

    @Test
    void aRawFrameBecomesAJpegOfItsPixels() throws Exception {
        int w = 16, h = 8;
        byte[] raw = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++) {
            raw[3 * i] = (byte) 200; // R
            raw[3 * i + 1] = 30;     // G
            raw[3 * i + 2] = 40;     // B
        }
        LatestFrame frame = LatestFrame.of(TestMedia.frame("cam", 1, 0, "RAW_RGB24", w, h, raw), MAX_PIXELS);
        assertThat(frame.image().contentType()).isEqualTo("image/jpeg");
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(frame.image().bytes()));
        assertThat(decoded.getWidth()).isEqualTo(w);
        assertThat(decoded.getHeight()).isEqualTo(h);
        int rgb = decoded.getRGB(w / 2, h / 2);
        assertThat(rgb >> 16 & 0xFF).isBetween(185, 215);
        assertThat(rgb >> 8 & 0xFF).isBetween(15, 45);
        assertThat(rgb & 0xFF).isBetween(25, 55);
        assertThat(frame.image()).isSameAs(frame.image()); // converted once
    }

    @Test
    void aFrameWhoseBytesAreNotItsDeclaredImageIsRefusedAsItArrives() {
        VideoFrame notJpeg = TestMedia.frame("cam", 1, 0, "JPEG", TestMedia.W, TestMedia.H, new byte[] {1, 2, 3, 4});
        assertThatThrownBy(() -> LatestFrame.of(notJpeg, MAX_PIXELS)).isInstanceOf(RuntimeException.class);
        VideoFrame wrongSize = TestMedia.frame("cam", 1, 0, "JPEG", TestMedia.W * 2, TestMedia.H, TestMedia.jpeg("red"));
        assertThatThrownBy(() -> LatestFrame.of(wrongSize, MAX_PIXELS)).isInstanceOf(RuntimeException.class);
        VideoFrame unknown = TestMedia.frame("cam", 1, 0, "GIF", TestMedia.W, TestMedia.H, TestMedia.jpeg("red"));
        assertThatThrownBy(() -> LatestFrame.of(unknown, MAX_PIXELS)).hasMessageContaining("unknown frame encoding 'GIF'");
    }

    @Test
    void aSegmentIsShownByItsLastFrameDecodedIntoAJpeg() throws Exception {
        byte[] ts = TestMedia.video(List.of("red", "blue"), 5, false);
        VideoSegment segment = TestMedia.segment("cam", 9, 10.0, 2.0, "MPEGTS", ts);
        LatestFrame frame = LatestFrame.of(segment, new FpsSampler(1), MAX_PIXELS);
        assertThat(frame.source()).isEqualTo("segments");
        assertThat(frame.timestampMicros()).isEqualTo(12_000_000);
        assertThat(frame.sequence()).isEqualTo(9);
        assertThat(frame.image().contentType()).isEqualTo("image/jpeg");
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(frame.image().bytes()));
        assertThat(decoded.getWidth()).isEqualTo(64);
        assertThat(decoded.getHeight()).isEqualTo(48);
        int rgb = decoded.getRGB(32, 24);
        int blue = FakeNarration.rgb("blue");
        for (int shift : new int[] {16, 8, 0}) assertThat(rgb >> shift & 0xFF).isCloseTo(blue >> shift & 0xFF, org.assertj.core.data.Offset.offset(40));
    }

    @Test
    void aSegmentThatDoesNotDecodeFailsWhenItsImageIsAskedFor() {
        VideoSegment broken = TestMedia.segment("cam", 1, 0, 2, "MPEGTS", new byte[188 * 3]);
        LatestFrame frame = LatestFrame.of(broken, new FpsSampler(1), MAX_PIXELS);
        assertThatThrownBy(frame::image).isInstanceOf(RuntimeException.class);
        VideoSegment unknown = VideoSegment.newBuilder(broken).setContainer("AVI").setData(ByteBuffer.wrap(new byte[8])).build();
        assertThatThrownBy(() -> LatestFrame.of(unknown, new FpsSampler(1), MAX_PIXELS)).hasMessageContaining("unknown segment container 'AVI'");
    }
}
