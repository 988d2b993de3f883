package io.narrator.stream;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Bytes;

/**
 * Keys of the per-stream state stores: the stream id (length-prefixed UTF-8) followed by a
 * big-endian number (an event time or a clip index), so that one stream's entries are contiguous
 * and sorted by that number in a range scan. Numbers are never negative (negative timestamps are
 * dead letters).
 */
final class StateKeys {
    /** Longest stream id (in UTF-8 bytes) Narrator accepts as a key. */
    static final int MAX_STREAM_ID_BYTES = 1024;

    private StateKeys() {}

    static Bytes of(String streamId, long number) {
        byte[] id = streamId.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(2 + id.length + 8).putShort((short) id.length).put(id).putLong(number).array());
    }

    static String streamId(Bytes key) {
        ByteBuffer b = ByteBuffer.wrap(key.get());
        byte[] id = new byte[b.getShort() & 0xFFFF];
        b.get(id);
        return new String(id, StandardCharsets.UTF_8);
    }

    static long number(Bytes key) {
        byte[] k = key.get();
        return ByteBuffer.wrap(k, k.length - 8, 8).getLong();
    }
}
