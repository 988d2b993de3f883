package io.narrator.stream;

import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.PromptExample;
import io.narrator.avro.VideoFrame;
import io.narrator.avro.VideoSegment;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Java2DFrameConverter;

/**
 * A corpus of malformed records, one of every class Narrator must dead-letter, for the frames, segments and prompts
 * topics: each with the reason its dead letter must carry and a part of its message. Records of a stream are timed
 * against a frame of that stream kept at {@code keptMicros}: media that must be decoded to be found bad lie one second
 * later (so sampling keeps, and decodes, them).
 */
final class MalformedRecords {
    /** An input topic of Narrator's. */
    enum Input { FRAMES, SEGMENTS, PROMPTS }

    /** One malformed record: its topic, key and value bytes, and what its dead letter must say. */
    record Bad(String name, Input input, byte[] key, byte[] value, DeadLetterReason reason, String messagePart) {
        @Override
        public String toString() {
            return name + " -> " + reason;
        }
    }

    private static final AvroSerde<VideoFrame> FRAMES = AvroSerde.of(VideoFrame.class);
    private static final AvroSerde<VideoSegment> SEGMENTS = AvroSerde.of(VideoSegment.class);
    private static final AvroSerde<NarrationPrompt> PROMPTS = AvroSerde.of(NarrationPrompt.class);
    /** 2099-01-01: under max.timestamp.micros (2100), but a century from a live stream's clock. */
    static final long YEAR_2099_MICROS = 4_070_908_800_000_000L;

    private MalformedRecords() {}

    /** Every class of malformed record for {@code stream}, whose last kept frame is at {@code keptMicros}. */
    static List<Bad> corpus(String stream, long keptMicros) {
        byte[] key = stream.getBytes(StandardCharsets.UTF_8);
        long t = keptMicros + 1_000_000;
        List<Bad> all = new ArrayList<>();
        byte[] goodFrame = FRAMES.encode(jpeg(stream, t, TestMedia.jpeg("white")));

        // Avro and keys, frames
        all.add(new Bad("JSON instead of Avro", Input.FRAMES, key, "{\"streamId\":\"x\"}".getBytes(StandardCharsets.UTF_8), DeadLetterReason.NOT_AVRO,
                "not Avro single-object encoded VideoFrame"));
        all.add(new Bad("a prompt on the frames topic", Input.FRAMES, key, PROMPTS.encode(NarrationPrompt.newBuilder().build()), DeadLetterReason.NOT_AVRO,
                "unknown schema, not VideoFrame"));
        all.add(new Bad("truncated Avro", Input.FRAMES, key, Arrays.copyOf(goodFrame, 40), DeadLetterReason.NOT_AVRO, "truncated or corrupt VideoFrame"));
        all.add(new Bad("70 bytes after a valid record", Input.FRAMES, key, Arrays.copyOf(goodFrame, goodFrame.length + 70), DeadLetterReason.NOT_AVRO,
                "70 bytes after a complete VideoFrame"));
        all.add(new Bad("Schema Registry framing without a registry", Input.FRAMES, key, registryFramed(goodFrame), DeadLetterReason.UNKNOWN_SCHEMA_ID,
                "no schema.registry.url is configured"));
        all.add(new Bad("string bomb", Input.FRAMES, key, AvroSerdeTest.record(VideoFrame.getClassSchema(), out -> out.writeLong(Integer.MAX_VALUE)),
                DeadLetterReason.NOT_AVRO, "a string declares 2147483647 bytes"));
        all.add(new Bad("bytes bomb", Input.FRAMES, key, AvroSerdeTest.record(VideoFrame.getClassSchema(), out -> {
            out.writeString(stream);
            out.writeLong(1);
            out.writeLong(t);
            out.writeString("JPEG");
            out.writeInt(TestMedia.W);
            out.writeInt(TestMedia.H);
            out.writeLong(2_000_000_000L);
        }), DeadLetterReason.NOT_AVRO, "a bytes field declares 2000000000 bytes"));
        all.add(new Bad("no key", Input.FRAMES, null, goodFrame, DeadLetterReason.MISSING_KEY, "no key"));
        all.add(new Bad("a key that is not UTF-8", Input.FRAMES, notUtf8(key), goodFrame, DeadLetterReason.INVALID_KEY, "not valid UTF-8"));
        all.add(new Bad("a key with control characters", Input.FRAMES, (stream + "\u0000").getBytes(StandardCharsets.UTF_8), goodFrame,
                DeadLetterReason.INVALID_KEY, "control characters"));
        all.add(new Bad("another stream's frame", Input.FRAMES, key, FRAMES.encode(jpeg(stream + "-other", t, TestMedia.jpeg("white"))),
                DeadLetterReason.KEY_MISMATCH, "but streamId"));
        all.add(new Bad("a record over max.record.bytes", Input.FRAMES, key, new byte[8 * 1024 * 1024 + 1], DeadLetterReason.RECORD_TOO_LARGE,
                "exceeds max.record.bytes"));

        // event times, frames
        all.add(new Bad("a negative event time", Input.FRAMES, key, FRAMES.encode(jpeg(stream, -1, TestMedia.jpeg("white"))),
                DeadLetterReason.NEGATIVE_TIMESTAMP, "negative"));
        all.add(new Bad("nanoseconds as microseconds", Input.FRAMES, key, FRAMES.encode(jpeg(stream, t * 1000, TestMedia.jpeg("white"))),
                DeadLetterReason.ABSURD_TIMESTAMP, "nanoseconds"));
        all.add(new Bad("a frame dated 2099", Input.FRAMES, key, FRAMES.encode(jpeg(stream, YEAR_2099_MICROS, TestMedia.jpeg("white"))),
                DeadLetterReason.TIMESTAMP_SKEW, "ahead of the stream's clock"));
        all.add(new Bad("milliseconds as microseconds", Input.FRAMES, key, FRAMES.encode(jpeg(stream, t / 1000, TestMedia.jpeg("white"))),
                DeadLetterReason.TIMESTAMP_SKEW, "behind the stream's clock"));

        // images
        all.add(new Bad("an unknown encoding", Input.FRAMES, key, FRAMES.encode(frame(stream, t, "WEBP", TestMedia.W, TestMedia.H, TestMedia.jpeg("white"))),
                DeadLetterReason.UNKNOWN_ENCODING, "'WEBP'"));
        all.add(new Bad("dimensions that are not the image's", Input.FRAMES, key, FRAMES.encode(frame(stream, t, "JPEG", 64, 48, TestMedia.jpeg("white"))),
                DeadLetterReason.INVALID_DIMENSIONS, "record says 64x48"));
        all.add(new Bad("declared pixels over max.pixels", Input.FRAMES, key,
                FRAMES.encode(frame(stream, t, "JPEG", 100_000, 100_000, TestMedia.jpeg("white"))), DeadLetterReason.TOO_MANY_PIXELS, "max.pixels"));
        all.add(new Bad("an image header over max.pixels", Input.FRAMES, key, FRAMES.encode(frame(stream, t, "PNG", 50, 50,
                TestMedia.encode(TestMedia.solid("white", 3000, 3000), "png"))), DeadLetterReason.TOO_MANY_PIXELS, "image header says 3000x3000"));
        all.add(new Bad("raw bytes of the wrong size", Input.FRAMES, key, FRAMES.encode(frame(stream, t, "RAW_RGB24", TestMedia.W, TestMedia.H, new byte[100])),
                DeadLetterReason.RAW_SIZE_MISMATCH, "needs 2304 bytes"));
        all.add(new Bad("a JPEG whose body is garbage", Input.FRAMES, key, FRAMES.encode(jpeg(stream, t, jpegWithGarbageBody())),
                DeadLetterReason.UNDECODABLE_IMAGE, "truncated or corrupt JPEG"));
        all.add(new Bad("a JPEG of its header only", Input.FRAMES, key, FRAMES.encode(jpeg(stream, t, jpegHeaderOnly())),
                DeadLetterReason.UNDECODABLE_IMAGE, "JPEG"));
        all.add(new Bad("a JPEG cut in half", Input.FRAMES, key, FRAMES.encode(jpeg(stream, t, half(TestMedia.jpeg("white")))),
                DeadLetterReason.UNDECODABLE_IMAGE, "truncated or corrupt JPEG"));
        all.add(new Bad("a PNG without its end", Input.FRAMES, key,
                FRAMES.encode(frame(stream, t, "PNG", TestMedia.W, TestMedia.H, cutEnd(TestMedia.png("white"), 20))),
                DeadLetterReason.UNDECODABLE_IMAGE, "truncated PNG"));
        all.add(new Bad("a PNG declared as JPEG", Input.FRAMES, key, FRAMES.encode(jpeg(stream, t, TestMedia.png("white"))),
                DeadLetterReason.UNDECODABLE_IMAGE, "declared JPEG but the bytes are PNG"));

        // segments
        byte[] ts = TestMedia.video(List.of("white", "white"), 5, false); // 2 s
        all.add(new Bad("a segment bytes bomb", Input.SEGMENTS, key, AvroSerdeTest.record(VideoSegment.getClassSchema(), out -> {
            out.writeString(stream);
            out.writeLong(1);
            out.writeLong(t);
            out.writeLong(2_000_000);
            out.writeString("MPEGTS");
            out.writeIndex(0);
            out.writeLong(1_500_000_000L);
        }), DeadLetterReason.NOT_AVRO, "a bytes field declares 1500000000 bytes"));
        all.add(new Bad("a segment without duration", Input.SEGMENTS, key, SEGMENTS.encode(segment(stream, t, 0, "MPEGTS", ts)),
                DeadLetterReason.INVALID_DURATION, "must be positive"));
        all.add(new Bad("a segment of 1,000 hours", Input.SEGMENTS, key, SEGMENTS.encode(segment(stream, t, 3_600_000_000_000L, "MPEGTS", ts)),
                DeadLetterReason.INVALID_DURATION, "max.segment.seconds"));
        all.add(new Bad("a segment of Long.MAX µs", Input.SEGMENTS, key, SEGMENTS.encode(segment(stream, t, Long.MAX_VALUE, "MPEGTS", ts)),
                DeadLetterReason.INVALID_DURATION, "max.segment.seconds"));
        all.add(new Bad("an unknown container", Input.SEGMENTS, key, SEGMENTS.encode(segment(stream, t, 2_000_000, "AVI", ts)),
                DeadLetterReason.UNKNOWN_ENCODING, "'AVI'"));
        all.add(new Bad("MPEG-TS cut mid-packet", Input.SEGMENTS, key, SEGMENTS.encode(segment(stream, t, 2_000_000, "MPEGTS", Arrays.copyOf(ts, ts.length - 100))),
                DeadLetterReason.CORRUPT_SEGMENT, "ends mid-packet"));
        all.add(new Bad("MPEG-TS of garbage", Input.SEGMENTS, key, SEGMENTS.encode(segment(stream, t, 2_000_000, "MPEGTS", garbage(ts.length))),
                DeadLetterReason.CORRUPT_SEGMENT, "MPEGTS"));
        byte[] mp4 = TestMedia.video(List.of("white", "white"), 5, true);
        all.add(new Bad("fMP4 cut mid-box", Input.SEGMENTS, key, SEGMENTS.encode(segment(stream, t, 2_000_000, "FMP4", Arrays.copyOf(mp4, mp4.length - 100))),
                DeadLetterReason.CORRUPT_SEGMENT, "ends inside box"));
        all.add(new Bad("a segment claiming far more than its content", Input.SEGMENTS, key, SEGMENTS.encode(segment(stream, t, 30_000_000, "MPEGTS", ts)),
                DeadLetterReason.DURATION_MISMATCH, "shorter than claimed"));
        all.add(new Bad("a segment whose presentation times jump an hour", Input.SEGMENTS, key,
                SEGMENTS.encode(segment(stream, t, 2_000_000, "MPEGTS", tsWithJump(3_600_000_000L))), DeadLetterReason.DURATION_MISMATCH,
                "beyond the segment's declared duration"));
        all.add(new Bad("a segment of frames over max.pixels", Input.SEGMENTS, key, SEGMENTS.encode(segment(stream, t, 1_000_000, "MPEGTS", largeTs())),
                DeadLetterReason.TOO_MANY_PIXELS, "4000x2250"));
        all.add(new Bad("a segment dated 2099", Input.SEGMENTS, key, SEGMENTS.encode(segment(stream, YEAR_2099_MICROS, 2_000_000, "MPEGTS", ts)),
                DeadLetterReason.TIMESTAMP_SKEW, "ahead of the stream's clock"));
        all.add(new Bad("a segment key that is not UTF-8", Input.SEGMENTS, notUtf8(key), SEGMENTS.encode(segment(stream, t, 2_000_000, "MPEGTS", ts)),
                DeadLetterReason.INVALID_KEY, "not valid UTF-8"));

        // prompts
        all.add(new Bad("the campaign's 31-byte prompt bomb", Input.PROMPTS, key, AvroSerdeTest.PROMPT_BOMB, DeadLetterReason.NOT_AVRO,
                "an array declares 2000000000 items"));
        all.add(new Bad("a prompt string bomb", Input.PROMPTS, key, AvroSerdeTest.record(NarrationPrompt.getClassSchema(), out -> {
            out.writeLong(1); // one example
            out.writeLong(Integer.MAX_VALUE); // its mediaType: 2 GB
        }), DeadLetterReason.NOT_AVRO, "a string declares 2147483647 bytes"));
        all.add(new Bad("a prompt with trailing bytes", Input.PROMPTS, key, withTrailing(PROMPTS.encode(NarrationPrompt.newBuilder().build()), 70),
                DeadLetterReason.NOT_AVRO, "70 bytes after a complete NarrationPrompt"));
        all.add(new Bad("a prompt with a negative window", Input.PROMPTS, key, PROMPTS.encode(NarrationPrompt.newBuilder().setWindowSeconds(-3).build()),
                DeadLetterReason.MALFORMED_PROMPT, "windowSeconds must be positive"));
        all.add(new Bad("a prompt whose example image is a truncated JPEG", Input.PROMPTS, key, PROMPTS.encode(NarrationPrompt.newBuilder()
                .setExamples(List.of(new PromptExample("JPEG", ByteBuffer.wrap(half(TestMedia.jpeg("red"))), "red"))).build()),
                DeadLetterReason.MALFORMED_PROMPT, "JPEG"));
        all.add(new Bad("a prompt key that is not UTF-8", Input.PROMPTS, notUtf8(key), PROMPTS.encode(NarrationPrompt.newBuilder().build()),
                DeadLetterReason.INVALID_KEY, "not valid UTF-8"));
        return all;
    }

    static VideoFrame frame(String stream, long micros, String encoding, int width, int height, byte[] data) {
        return TestMedia.frame(stream, 1, micros, encoding, width, height, data);
    }

    static VideoFrame jpeg(String stream, long micros, byte[] data) {
        return frame(stream, micros, "JPEG", TestMedia.W, TestMedia.H, data);
    }

    static VideoSegment segment(String stream, long startMicros, long durationMicros, String container, byte[] data) {
        return VideoSegment.newBuilder().setStreamId(stream).setSequence(1).setStartMicros(startMicros).setDurationMicros(durationMicros)
                .setContainer(container).setInitSegment(null).setData(ByteBuffer.wrap(data)).build();
    }

    static byte[] notUtf8(byte[] key) {
        byte[] out = Arrays.copyOf(key, key.length + 1);
        out[key.length] = (byte) 0xFF;
        return out;
    }

    /** A value in the Schema Registry wire format: magic byte 0, a 4-byte schema id, then the Avro body. */
    static byte[] registryFramed(byte[] singleObject) {
        byte[] body = Arrays.copyOfRange(singleObject, 10, singleObject.length);
        return ByteBuffer.allocate(5 + body.length).put((byte) 0).putInt(7).put(body).array();
    }

    static byte[] withTrailing(byte[] bytes, int extra) {
        byte[] out = Arrays.copyOf(bytes, bytes.length + extra);
        Random random = new Random(3);
        for (int i = bytes.length; i < out.length; i++) out[i] = (byte) random.nextInt(256);
        return out;
    }

    static byte[] half(byte[] bytes) {
        return Arrays.copyOf(bytes, bytes.length / 2 + startOfScan(bytes) / 2);
    }

    static byte[] cutEnd(byte[] bytes, int cut) {
        return Arrays.copyOf(bytes, bytes.length - cut);
    }

    static byte[] garbage(int length) {
        byte[] out = new byte[length];
        new Random(5).nextBytes(out);
        return out;
    }

    /** Offset just past a JPEG's start-of-scan header (FF DA and its length), where the entropy-coded image data begins. */
    private static int startOfScan(byte[] jpeg) {
        for (int i = 0; i + 3 < jpeg.length; i++)
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == 0xDA) return i + 2 + ((jpeg[i + 2] & 0xFF) << 8 | jpeg[i + 3] & 0xFF);
        throw new IllegalArgumentException("no start of scan");
    }

    /** A JPEG whose headers are whole and whose image data is noise without markers (its EOI kept). */
    static byte[] jpegWithGarbageBody() {
        byte[] jpeg = TestMedia.jpeg("white");
        Random random = new Random(1);
        for (int i = startOfScan(jpeg); i < jpeg.length - 2; i++) jpeg[i] = (byte) random.nextInt(0xFF); // never 0xFF: no marker
        return jpeg;
    }

    /** A JPEG's headers up to and including its start-of-scan header, no image data, no end. */
    static byte[] jpegHeaderOnly() {
        byte[] jpeg = TestMedia.jpeg("white");
        return Arrays.copyOf(jpeg, startOfScan(jpeg));
    }

    /** One second of H.264 in MPEG-TS at 1 FPS, 4000x2250: 9 million pixels, over the default max.pixels. */
    static byte[] largeTs() {
        return ts(4000, 2250, 1, List.of(0L));
    }

    /** Two seconds of H.264 in MPEG-TS at 5 FPS, whose second half's presentation times jump by {@code jumpMicros}. */
    static byte[] tsWithJump(long jumpMicros) {
        return ts(64, 48, 5, List.of(0L, 200_000L, 400_000L, 600_000L, 800_000L,
                jumpMicros + 1_000_000, jumpMicros + 1_200_000, jumpMicros + 1_400_000, jumpMicros + 1_600_000, jumpMicros + 1_800_000));
    }

    /** White frames of H.264 in MPEG-TS, one at each of the given presentation times. */
    private static byte[] ts(int width, int height, int fps, List<Long> timesMicros) {
        avutil.av_log_set_level(avutil.AV_LOG_ERROR);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(out, width, height);
                Java2DFrameConverter converter = new Java2DFrameConverter()) {
            recorder.setFormat("mpegts");
            recorder.setVideoCodecName("libopenh264");
            recorder.setVideoCodec(avcodec.AV_CODEC_ID_H264);
            recorder.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
            recorder.setFrameRate(fps);
            recorder.setGopSize(fps);
            recorder.setVideoBitrate(400_000);
            recorder.start();
            BufferedImage image = TestMedia.solid("white", width, height);
            for (long micros : timesMicros) {
                recorder.setTimestamp(micros);
                recorder.record(converter.convert(image));
            }
            recorder.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot encode test video: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }
}
