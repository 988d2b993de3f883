package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.avro.Caption;
import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.VideoFrame;
import io.narrator.avro.VideoSegment;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.HexFormat;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {
    /** The campaign's 31-byte prompt: marker, NarrationPrompt's fingerprint, an examples count of about two billion, zeros. */
    static final byte[] PROMPT_BOMB = HexFormat.of().parseHex("c3014da5a2d54d140ae280d0acf30e00000000000000000000000000000000");

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
        assertThatThrownBy(() -> frames.decode(new byte[] {(byte) 0xC3, 0x01, 1, 2}))
                .hasMessageContaining("truncated or corrupt VideoFrame: 4 bytes end inside the 10-byte single-object header");
    }

    @Test
    void namesTheSchemaRegistryWireFormat() {
        byte[] registry = {0, 0, 0, 0, 42, 6, 'c', 'a', 'm'};
        assertThatThrownBy(() -> frames.decode(registry)).isInstanceOf(AvroSerde.AvroFormatException.class)
                .hasMessageContaining("Schema Registry wire format (magic byte 0, schema id 42)");
    }

    @Test
    void refusesBytesAfterACompleteRecord() {
        byte[] bytes = frames.encode(TestMedia.frame("cam", 3, 1.5, "red"));
        byte[] padded = Arrays.copyOf(bytes, bytes.length + 70);
        assertThatThrownBy(() -> frames.decode(padded)).isInstanceOf(AvroSerde.AvroFormatException.class)
                .hasMessage("70 bytes after a complete VideoFrame of " + bytes.length + " bytes: a record must be the whole value");
    }

    @Test
    void theCampaignsPromptBombIsRefusedWithoutAllocating() {
        AvroSerde<NarrationPrompt> prompts = AvroSerde.of(NarrationPrompt.class);
        long allocated = allocatedBytes(() -> assertThatThrownBy(() -> prompts.decode(PROMPT_BOMB))
                .isInstanceOf(AvroSerde.AvroFormatException.class)
                .hasMessageContaining("corrupt NarrationPrompt: an array declares 2000000000 items but only 16 bytes are left in the record"));
        assertThat(allocated).as("bytes allocated while refusing the bomb").isLessThan(1 << 20);
    }

    @Test
    void stringAndBytesBombsAreRefusedWithoutAllocating() {
        byte[] stringBomb = record(VideoFrame.getClassSchema(), out -> out.writeLong(Integer.MAX_VALUE)); // streamId of 2 GB
        byte[] bytesBomb = record(VideoFrame.getClassSchema(), out -> {
            out.writeString("cam");
            out.writeLong(1);
            out.writeLong(1_000_000);
            out.writeString("JPEG");
            out.writeInt(32);
            out.writeInt(24);
            out.writeLong(2_000_000_000L); // data of 2 GB
        });
        byte[] segmentBomb = record(VideoSegment.getClassSchema(), out -> {
            out.writeString("cam");
            out.writeLong(1);
            out.writeLong(0);
            out.writeLong(1_000_000);
            out.writeString("MPEGTS");
            out.writeIndex(1);
            out.writeLong(Long.MAX_VALUE / 2); // initSegment of 4.6 EB
        });
        AvroSerde<VideoSegment> segments = AvroSerde.of(VideoSegment.class);
        long allocated = allocatedBytes(() -> {
            assertThatThrownBy(() -> frames.decode(stringBomb)).hasMessageContaining("a string declares 2147483647 bytes but only 0 are left");
            assertThatThrownBy(() -> frames.decode(bytesBomb)).hasMessageContaining("a bytes field declares 2000000000 bytes but only 0 are left");
            assertThatThrownBy(() -> segments.decode(segmentBomb)).hasMessageContaining("a bytes field declares 4611686018427387903 bytes");
        });
        assertThat(allocated).as("bytes allocated while refusing three bombs").isLessThan(1 << 20);
        assertThatThrownBy(() -> frames.decode(record(VideoFrame.getClassSchema(), out -> out.writeLong(-5))))
                .hasMessageContaining("a string declares a negative length -5");
    }

    @Test
    void aBlockOfDeclaredByteSizeIsBoundedToo() {
        byte[] bomb = record(NarrationPrompt.getClassSchema(), out -> {
            out.writeLong(-3); // a block of 3 items, followed by its byte size
            out.writeLong(1L << 40);
        });
        assertThatThrownBy(() -> AvroSerde.of(NarrationPrompt.class).decode(bomb))
                .hasMessageContaining("an array block declares 1099511627776 bytes but only 0 are left");
    }

    /** Bytes allocated by this thread while {@code action} runs. */
    static long allocatedBytes(Runnable action) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        action.run();
        return threads.getCurrentThreadAllocatedBytes() - before;
    }

    interface Body {
        void write(BinaryEncoder out) throws java.io.IOException;
    }

    /** A single-object header for {@code schema} followed by a hand-written body. */
    static byte[] record(Schema schema, Body body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(0xC3);
        bytes.write(0x01);
        long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
        for (int i = 0; i < 8; i++) bytes.write((int) (fingerprint >>> (8 * i)));
        try {
            BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
            body.write(out);
            out.flush();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
