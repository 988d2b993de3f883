package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.VideoFrame;
import io.narrator.avro.VideoSegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Every dead-letter reason, one test each: the record goes to the dead-letter topic with its reason,
 * origin and payload prefix, is counted, and the stream keeps flowing.
 */
class DeadLetterTopologyTest {
    private static final AvroSerde<VideoFrame> FRAMES = AvroSerde.of(VideoFrame.class);
    private static final AvroSerde<VideoSegment> SEGMENTS = AvroSerde.of(VideoSegment.class);

    /** Sends a good frame at 0 s, the bad record, then good frames at 1 s and 2 s; checks the dead letter and the captions. */
    private DeadLetter rejects(DeadLetterReason reason, Map<String, String> settings, Consumer<TopologyHarness> sendBad) {
        try (TopologyHarness h = new TopologyHarness(settings)) {
            h.frame(TestMedia.frame("cam", 0, 0.0, "red"));
            sendBad.accept(h);
            h.frame(TestMedia.frame("cam", 2, 1.0, "green"));
            h.frame(TestMedia.frame("cam", 3, 2.0, "blue"));
            List<DeadLetter> letters = h.deadLetters.readValuesToList();
            assertThat(letters).hasSize(1);
            DeadLetter letter = letters.get(0);
            assertThat(letter.getReason()).isEqualTo(reason.name());
            assertThat(letter.getMessage()).isNotBlank();
            assertThat(letter.getOriginPartition()).isZero();
            assertThat(letter.getPayloadPrefix().remaining()).isLessThanOrEqualTo(DeadLetters.PAYLOAD_PREFIX_BYTES);
            assertThat(letter.getTimeMillis()).isGreaterThanOrEqualTo(TopologyHarness.START.toEpochMilli());
            assertThat(h.metrics.count("narrator.dead.letters", "reason", reason.name())).isEqualTo(1);
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=red", "frames=red,green");
            return letter;
        }
    }

    private DeadLetter rejectsFrame(DeadLetterReason reason, VideoFrame bad) {
        return rejectsFrame(reason, Map.of(), bad);
    }

    private DeadLetter rejectsFrame(DeadLetterReason reason, Map<String, String> settings, VideoFrame bad) {
        DeadLetter letter = rejects(reason, settings, h -> h.frames.pipeInput(bad.getStreamId(), FRAMES.encode(bad)));
        assertThat(letter.getOriginTopic()).isEqualTo("narrator.frames");
        assertThat(letter.getOriginOffset()).isEqualTo(1L);
        assertThat(letter.getKey()).isEqualTo(bad.getStreamId());
        return letter;
    }

    private DeadLetter rejectsSegment(DeadLetterReason reason, VideoSegment bad) {
        DeadLetter letter = rejects(reason, Map.of(), h -> h.segment(bad));
        assertThat(letter.getOriginTopic()).isEqualTo("narrator.segments");
        assertThat(letter.getOriginOffset()).isEqualTo(0L);
        return letter;
    }

    private static VideoFrame jpegAt(long micros) {
        return TestMedia.frame("cam", 1, micros, "JPEG", TestMedia.W, TestMedia.H, TestMedia.jpeg("white"));
    }

    @Test
    void missingKey() {
        byte[] bytes = FRAMES.encode(jpegAt(1_000_000));
        DeadLetter letter = rejects(DeadLetterReason.MISSING_KEY, Map.of(), h -> h.frames.pipeInput((String) null, bytes));
        assertThat(letter.getKey()).isNull();
        assertThat(letter.getOriginOffset()).isEqualTo(1L);
        assertThat(letter.getPayloadSize()).isEqualTo(bytes.length);
        assertThat(letter.getPayloadPrefix()).isEqualTo(ByteBuffer.wrap(Arrays.copyOf(bytes, 256)));
    }

    @Test
    void invalidKey() {
        DeadLetter letter = rejects(DeadLetterReason.INVALID_KEY, Map.of(), h -> h.frames.pipeInput("cam\u0000x", FRAMES.encode(jpegAt(1_000_000))));
        assertThat(letter.getMessage()).contains("control characters");
    }

    @Test
    void keysThatAreNotUtf8OnEveryInputTopic() {
        byte[] key = {'c', 'a', 'm', (byte) 0xFF};
        for (String topic : List.of("narrator.frames", "narrator.segments", "narrator.prompts")) {
            byte[] value = switch (topic) {
                case "narrator.frames" -> FRAMES.encode(jpegAt(1_000_000));
                case "narrator.segments" -> SEGMENTS.encode(TestMedia.segment("cam", 7, 0.5, 1, "MPEGTS", TestMedia.video(List.of("white"), 5, false)));
                default -> AvroSerde.of(NarrationPrompt.class).encode(NarrationPrompt.newBuilder().build());
            };
            DeadLetter letter = rejects(DeadLetterReason.INVALID_KEY, Map.of(), h -> h.driver
                    .createInputTopic(topic, new ByteArraySerializer(), new ByteArraySerializer()).pipeInput(key, value));
            assertThat(letter.getOriginTopic()).isEqualTo(topic);
            assertThat(letter.getKey()).isNull();
            assertThat(letter.getMessage()).contains("key is not valid UTF-8 (bytes 63 61 6d ff)");
        }
    }

    @Test
    void aRecordOnAnotherPartitionThanItsKeysUnderMurmur2() {
        // with two partitions, "door" belongs to the test driver's partition 0 and "cam" to partition 1
        assertThat(BuiltInPartitioner.partitionForKey("door".getBytes(StandardCharsets.UTF_8), 2)).isZero();
        assertThat(BuiltInPartitioner.partitionForKey("cam".getBytes(StandardCharsets.UTF_8), 2)).isOne();
        try (TopologyHarness h = new TopologyHarness(Map.of("topic.partitions", "2"))) {
            h.frame(TestMedia.frame("door", 0, 0.0, "red"));
            h.frame(TestMedia.frame("cam", 0, 0.5, "white"));
            h.segment(TestMedia.segment("cam", 7, 0.5, 1, "MPEGTS", TestMedia.video(List.of("white"), 5, false)));
            h.frame(TestMedia.frame("door", 1, 1.0, "green"));
            h.frame(TestMedia.frame("door", 2, 2.0, "blue"));
            List<DeadLetter> letters = h.deadLetters.readValuesToList();
            assertThat(letters).extracting(DeadLetter::getReason).containsExactly("WRONG_PARTITION", "WRONG_PARTITION");
            assertThat(letters).extracting(DeadLetter::getOriginTopic).containsExactly("narrator.frames", "narrator.segments");
            assertThat(letters.get(0).getMessage()).isEqualTo("key 'cam' belongs to partition 1 of 2 of narrator.frames under murmur2 (the Java client's"
                    + " and Kafka Streams' partitioner), but the record is on partition 0: produce with a murmur2 partitioner (librdkafka:"
                    + " partitioner=murmur2_random)");
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=red", "frames=red,green");
        }
    }

    @Test
    void keyMismatch() {
        VideoFrame other = TestMedia.frame("other", 1, 1_000_000, "JPEG", TestMedia.W, TestMedia.H, TestMedia.jpeg("white"));
        DeadLetter letter = rejects(DeadLetterReason.KEY_MISMATCH, Map.of(), h -> h.frames.pipeInput("cam", FRAMES.encode(other)));
        assertThat(letter.getMessage()).contains("key 'cam' but streamId 'other'");
    }

    @Test
    void bytesThatAreNotAvro() {
        byte[] json = "{\"streamId\":\"cam\"}".getBytes(StandardCharsets.UTF_8);
        DeadLetter letter = rejects(DeadLetterReason.NOT_AVRO, Map.of(), h -> h.frames.pipeInput("cam", json));
        assertThat(letter.getMessage()).contains("not Avro single-object encoded VideoFrame");
        assertThat(StandardCharsets.UTF_8.decode(letter.getPayloadPrefix()).toString()).isEqualTo("{\"streamId\":\"cam\"}");
    }

    @Test
    void avroOfAnotherRecordType() {
        byte[] prompt = AvroSerde.of(NarrationPrompt.class).encode(NarrationPrompt.newBuilder().build());
        DeadLetter letter = rejects(DeadLetterReason.NOT_AVRO, Map.of(), h -> h.frames.pipeInput("cam", prompt));
        assertThat(letter.getMessage()).contains("unknown schema");
    }

    @Test
    void truncatedAvro() {
        byte[] bytes = FRAMES.encode(jpegAt(1_000_000));
        DeadLetter letter = rejects(DeadLetterReason.NOT_AVRO, Map.of(), h -> h.frames.pipeInput("cam", Arrays.copyOf(bytes, 40)));
        assertThat(letter.getMessage()).contains("truncated or corrupt VideoFrame");
    }

    @Test
    void recordTooLarge() {
        DeadLetter letter = rejectsFrame(DeadLetterReason.RECORD_TOO_LARGE, Map.of("max.record.bytes", "2000"),
                TestMedia.frame("cam", 1, 1_000_000, "RAW_RGB24", 32, 24, new byte[32 * 24 * 3]));
        assertThat(letter.getMessage()).contains("exceeds max.record.bytes=2000");
    }

    @Test
    void negativeTimestamp() {
        rejectsFrame(DeadLetterReason.NEGATIVE_TIMESTAMP, jpegAt(-1));
    }

    @Test
    void absurdTimestamp() {
        DeadLetter letter = rejectsFrame(DeadLetterReason.ABSURD_TIMESTAMP, jpegAt(1_700_000_000_000_000_000L));
        assertThat(letter.getMessage()).contains("nanoseconds");
    }

    @Test
    void unknownEncoding() {
        DeadLetter letter = rejectsFrame(DeadLetterReason.UNKNOWN_ENCODING,
                TestMedia.frame("cam", 1, 1_000_000, "WEBP", TestMedia.W, TestMedia.H, TestMedia.jpeg("white")));
        assertThat(letter.getMessage()).contains("'WEBP'");
    }

    @Test
    void invalidDimensions() {
        DeadLetter letter = rejectsFrame(DeadLetterReason.INVALID_DIMENSIONS,
                TestMedia.frame("cam", 1, 1_000_000, "JPEG", 64, 48, TestMedia.jpeg("white")));
        assertThat(letter.getMessage()).contains("record says 64x48 but the image is 32x24");
    }

    @Test
    void tooManyPixelsDeclared() {
        DeadLetter letter = rejectsFrame(DeadLetterReason.TOO_MANY_PIXELS,
                TestMedia.frame("cam", 1, 1_000_000, "JPEG", 100_000, 100_000, TestMedia.jpeg("white")));
        assertThat(letter.getMessage()).contains("exceeds max.pixels=8294400");
    }

    @Test
    void tooManyPixelsInTheImageHeaderIsCaughtBeforeDecoding() {
        byte[] big = TestMedia.encode(TestMedia.solid("white", 100, 100), "png");
        DeadLetter letter = rejectsFrame(DeadLetterReason.TOO_MANY_PIXELS, Map.of("max.pixels", "5000"),
                TestMedia.frame("cam", 1, 1_000_000, "PNG", 50, 50, big));
        assertThat(letter.getMessage()).contains("image header says 100x100");
    }

    @Test
    void rawSizeMismatch() {
        DeadLetter letter = rejectsFrame(DeadLetterReason.RAW_SIZE_MISMATCH,
                TestMedia.frame("cam", 1, 1_000_000, "RAW_RGB24", TestMedia.W, TestMedia.H, new byte[100]));
        assertThat(letter.getMessage()).contains("needs 2304 bytes, got 100");
    }

    @Test
    void undecodableImage() {
        byte[] jpeg = TestMedia.jpeg("white");
        DeadLetter letter = rejectsFrame(DeadLetterReason.UNDECODABLE_IMAGE,
                TestMedia.frame("cam", 1, 1_000_000, "JPEG", TestMedia.W, TestMedia.H, Arrays.copyOf(jpeg, 12)));
        assertThat(letter.getMessage()).contains("JPEG");
    }

    @Test
    void imageOfAnotherFormatThanDeclared() {
        DeadLetter letter = rejectsFrame(DeadLetterReason.UNDECODABLE_IMAGE,
                TestMedia.frame("cam", 1, 1_000_000, "JPEG", TestMedia.W, TestMedia.H, TestMedia.png("white")));
        assertThat(letter.getMessage()).contains("declared JPEG but the bytes are PNG");
    }

    @Test
    void corruptSegment() {
        byte[] ts = TestMedia.video(List.of("white"), 5, false);
        DeadLetter letter = rejectsSegment(DeadLetterReason.CORRUPT_SEGMENT,
                TestMedia.segment("cam", 7, 0.5, 1, "MPEGTS", Arrays.copyOf(ts, 300)));
        assertThat(letter.getMessage()).contains("MPEGTS");
    }

    @Test
    void segmentOfAnUnknownContainer() {
        rejectsSegment(DeadLetterReason.UNKNOWN_ENCODING, TestMedia.segment("cam", 7, 0.5, 1, "AVI", new byte[10]));
    }

    @Test
    void segmentWithoutDuration() {
        rejectsSegment(DeadLetterReason.INVALID_DURATION, TestMedia.segment("cam", 7, 0.5, 0, "MPEGTS", new byte[10]));
    }

    @Test
    void segmentWithTooManyPixels() {
        byte[] ts = TestMedia.video(List.of("white"), 5, false);
        DeadLetter letter = rejects(DeadLetterReason.TOO_MANY_PIXELS, Map.of("max.pixels", "1000"),
                h -> h.segment(TestMedia.segment("cam", 7, 0.5, 1, "MPEGTS", ts)));
        assertThat(letter.getMessage()).contains("64x48");
    }

    @Test
    void malformedPrompt() {
        NarrationPrompt bad = NarrationPrompt.newBuilder().setWindowSeconds(-3).build();
        DeadLetter letter = rejects(DeadLetterReason.MALFORMED_PROMPT, Map.of(),
                h -> h.prompt("cam", bad)); // validated on the prompt library's thread: h.prompt waits for it
        assertThat(letter.getOriginTopic()).isEqualTo("narrator.prompts");
        assertThat(letter.getMessage()).contains("windowSeconds must be positive, got -3");
    }

    @Test
    void deadLettersOfOneStreamDoNotDisturbAnother() {
        try (TopologyHarness h = new TopologyHarness()) {
            h.frame(TestMedia.frame("good", 0, 0.0, "red"));
            h.frames.pipeInput("bad", new byte[] {1, 2, 3});
            h.frame(TestMedia.frame("good", 1, 1.0, "green"));
            h.frames.pipeInput("bad", new byte[] {4, 5, 6});
            h.frame(TestMedia.frame("good", 2, 2.0, "blue"));
            List<Caption> captions = h.settle();
            assertThat(TopologyHarness.texts(captions)).containsExactly("frames=red", "frames=red,green");
            assertThat(h.deadLetters.readValuesToList()).extracting(DeadLetter::getOriginOffset).containsExactly(1L, 3L);
        }
    }
}
