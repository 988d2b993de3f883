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
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
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
    void withoutARegistryNamesTheSchemaRegistryWireFormatAndTheMissingSetting() {
        byte[] registry = {0, 0, 0, 0, 42, 6, 'c', 'a', 'm'};
        assertThatThrownBy(() -> frames.decode(registry)).isInstanceOf(AvroSerde.UnknownSchemaException.class)
                .hasMessage("VideoFrame in the Schema Registry wire format (magic byte 0, schema id 42), but no schema.registry.url is configured"
                        + " to look its schema up: set it, or produce Avro single-object encoding");
        assertThatThrownBy(() -> frames.decode(new byte[] {0, 0, 1})).isNotInstanceOf(AvroSerde.UnknownSchemaException.class)
                .hasMessage("truncated or corrupt VideoFrame: 3 bytes end inside the 5-byte Schema Registry header (magic byte 0, 4-byte schema id)");
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

    @Test
    void readsTheSchemaRegistryWireFormatFetchingEachWriterSchemaOnce() {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            AvroSerde<VideoFrame> serde = AvroSerde.of(VideoFrame.class, client(registry));
            int id = registry.register("narrator.frames-value", VideoFrame.getClassSchema());
            VideoFrame frame = TestMedia.frame("cam", 3, 1.5, "red");
            byte[] bytes = registryFramed(id, VideoFrame.getClassSchema(), frame);
            assertThat(serde.decode(bytes)).isEqualTo(frame);
            assertThat(serde.decode(bytes)).isEqualTo(frame);
            assertThat(registry.log()).containsExactly("GET /schemas/ids/" + id);
        }
    }

    @Test
    void readsARegistryWriterSchemaWithAFieldNarratorDoesNotKnow() {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            Schema writer = withField(VideoFrame.getClassSchema(), "{\"name\": \"cameraModel\", \"type\": \"string\"}");
            int id = registry.register("narrator.frames-value", writer);
            VideoFrame frame = TestMedia.frame("cam", 3, 1.5, "red");
            GenericData.Record record = new GenericData.Record(writer);
            for (Schema.Field f : VideoFrame.getClassSchema().getFields()) record.put(f.name(), frame.get(f.pos()));
            record.put("cameraModel", "X100");
            assertThat(AvroSerde.of(VideoFrame.class, client(registry)).decode(registryFramed(id, writer, record))).isEqualTo(frame);
        }
    }

    @Test
    void aRegistrySchemaThatCannotBeReadAsTheTopicsIsNotAvroOfThatType() {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            AvroSerde<VideoFrame> serde = AvroSerde.of(VideoFrame.class, client(registry));
            int id = registry.register("narrator.captions-value", Caption.getClassSchema());
            byte[] bytes = registryFramed(id, Caption.getClassSchema(), caption());
            assertThatThrownBy(() -> serde.decode(bytes)).isInstanceOf(AvroSerde.AvroFormatException.class)
                    .isNotInstanceOf(AvroSerde.UnknownSchemaException.class)
                    .hasMessageStartingWith("Avro record of schema id " + id + " (io.narrator.avro.Caption), which cannot be read as VideoFrame: ");
            assertThatThrownBy(() -> serde.decode(bytes)).hasMessageContaining("cannot be read as VideoFrame");
            assertThat(registry.requests()).as("the refusal is remembered: ids never change meaning").isEqualTo(1);
        }
    }

    @Test
    void anIdTheRegistryDoesNotKnowIsAnUnknownSchemaAskedForAgainOnlyLater() {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            AvroSerde<VideoFrame> serde = AvroSerde.of(VideoFrame.class, client(registry));
            byte[] bytes = registryFramed(77, VideoFrame.getClassSchema(), TestMedia.frame("cam", 3, 1.5, "red"));
            assertThatThrownBy(() -> serde.decode(bytes)).isInstanceOf(AvroSerde.UnknownSchemaException.class)
                    .hasMessage("VideoFrame with schema id 77: the schema registry at " + registry.url() + " answered GET /schemas/ids/77 with HTTP 404"
                            + " (error 40403): Schema 77 not found");
            assertThatThrownBy(() -> serde.decode(bytes)).isInstanceOf(AvroSerde.UnknownSchemaException.class);
            assertThat(registry.requests()).isEqualTo(1);
        }
    }

    @Test
    void aRegistryThatCannotBeReachedMakesTheRecordReplayable() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        SchemaRegistryClient down = new SchemaRegistryClient(NarratorConfig.of(java.util.Map.of("schema.registry.url", "http://127.0.0.1:" + port)).schemaRegistry());
        AvroSerde<VideoFrame> serde = AvroSerde.of(VideoFrame.class, down);
        assertThatThrownBy(() -> serde.decode(registryFramed(5, VideoFrame.getClassSchema(), TestMedia.frame("cam", 3, 1.5, "red"))))
                .isInstanceOf(AvroSerde.UnknownSchemaException.class)
                .hasMessageStartingWith("VideoFrame with schema id 5: cannot reach the schema registry (http://127.0.0.1:" + port + ": ")
                .hasMessageEndingWith("; the record can be replayed once the registry is back");
    }

    @Test
    void registryFramedBombsAreRefusedWithoutAllocating() {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            AvroSerde<VideoFrame> serde = AvroSerde.of(VideoFrame.class, client(registry));
            int id = registry.register("narrator.frames-value", VideoFrame.getClassSchema());
            serde.decode(registryFramed(id, VideoFrame.getClassSchema(), TestMedia.frame("cam", 3, 1.5, "red"))); // the schema is fetched
            byte[] stringBomb = registryRecord(id, out -> out.writeLong(Integer.MAX_VALUE));
            byte[] bytesBomb = registryRecord(id, out -> {
                out.writeString("cam");
                out.writeLong(1);
                out.writeLong(1_000_000);
                out.writeString("JPEG");
                out.writeInt(32);
                out.writeInt(24);
                out.writeLong(2_000_000_000L);
            });
            Runnable refuse = () -> {
                assertThatThrownBy(() -> serde.decode(stringBomb)).hasMessageContaining("a string declares 2147483647 bytes but only 0 are left");
                assertThatThrownBy(() -> serde.decode(bytesBomb)).hasMessageContaining("a bytes field declares 2000000000 bytes but only 0 are left");
            };
            refuse.run(); // the first refusal loads classes (about 4.7 MB when this test runs alone): not what is measured
            long allocated = allocatedBytes(refuse);
            assertThat(allocated).as("bytes allocated while refusing two registry-framed bombs").isLessThan(1 << 20);
            byte[] padded = Arrays.copyOf(registryFramed(id, VideoFrame.getClassSchema(), TestMedia.frame("cam", 3, 1.5, "red")), 200_000);
            assertThatThrownBy(() -> serde.decode(padded)).hasMessageContaining("bytes after a complete VideoFrame");
        }
    }

    @Test
    void aRegistryWriterSchemaWhoseArrayItemsTakeNoBytesIsRefused() {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            Schema writer = withField(VideoFrame.getClassSchema(), "{\"name\": \"nothings\", \"type\": {\"type\": \"array\", \"items\": \"null\"}}");
            int id = registry.register("narrator.frames-value", writer);
            assertThatThrownBy(() -> AvroSerde.of(VideoFrame.class, client(registry)).decode(registryRecord(id, out -> {})))
                    .isInstanceOf(AvroSerde.AvroFormatException.class)
                    .hasMessageContaining("Avro record of schema id " + id + ", which VideoFrame cannot be read from: schema io.narrator.avro.VideoFrame has an array of \"null\"");
        }
    }

    static SchemaRegistryClient client(FakeSchemaRegistry registry) {
        return new SchemaRegistryClient(NarratorConfig.of(java.util.Map.of("schema.registry.url", registry.url())).schemaRegistry());
    }

    /** {@code schema} with one more field (JSON), last. */
    static Schema withField(Schema schema, String fieldJson) {
        String json = schema.toString();
        return new Schema.Parser().parse(json.substring(0, json.lastIndexOf(']')) + "," + fieldJson + "]}");
    }

    /** A record in the Schema Registry wire format: byte 0, {@code id} big-endian, the binary record written with {@code writer}. */
    static byte[] registryFramed(int id, Schema writer, Object record) {
        return registryRecord(id, out -> new GenericDatumWriter<Object>(writer, SpecificData.get()).write(record, out));
    }

    /** The Schema Registry header for {@code id} followed by a hand-written body. */
    static byte[] registryRecord(int id, Body body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(java.nio.ByteBuffer.allocate(5).put((byte) 0).putInt(id).array());
        try {
            BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
            body.write(out);
            out.flush();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Caption caption() {
        return Caption.newBuilder().setStreamId("s").setClipIndex(0).setWindowStartMicros(0)
                .setWindowEndMicros(1).setFrameTimestamps(java.util.List.of()).setFrameSequences(java.util.List.of()).setText("t")
                .setModelName("m").setModelVersion("v").setLatency(new io.narrator.avro.CaptionLatency(0L, 0L, 0L, 0L, 0L))
                .setCreatedAtMillis(0).build();
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
