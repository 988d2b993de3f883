package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.avro.Caption;
import io.narrator.avro.VideoFrame;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {
    private final AvroSerde<VideoFrame> frames = AvroSerde.of(VideoFrame.class);

    @Test
    void roundTripsWithTheSingleObjectHeader() {
        VideoFrame frame = TestMedia.frame("cam", 3, 1.5, "red");
        byte[] bytes = frames.encode(frame);
        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        assertThat(frames.decode(bytes)).isEqualTo(frame);
        assertThat(frames.deserialize("t", frames.serialize("t", null))).isNull();
    }

    @Test
    void namesWhatIsWrongWithForeignBytes() {
        assertThatThrownBy(() -> frames.decode("hello".getBytes()))
                .isInstanceOf(AvroSerde.AvroFormatException.class).hasMessageContaining("not Avro single-object encoded VideoFrame");
        byte[] caption = AvroSerde.of(Caption.class).encode(Caption.newBuilder().setStreamId("s").setClipIndex(0).setWindowStartMicros(0)
                .setWindowEndMicros(1).setFrameTimestamps(java.util.List.of()).setFrameSequences(java.util.List.of()).setText("t")
                .setModelName("m").setModelVersion("v").setLatency(new io.narrator.avro.CaptionLatency(0L, 0L, 0L, 0L, 0L))
                .setCreatedAtMillis(0).build());
        assertThatThrownBy(() -> frames.decode(caption)).hasMessageContaining("unknown schema, not VideoFrame");
        byte[] truncated = Arrays.copyOf(frames.encode(TestMedia.frame("cam", 3, 1.5, "red")), 30);
        assertThatThrownBy(() -> frames.decode(truncated)).hasMessageContaining("truncated or corrupt VideoFrame");
    }
}
