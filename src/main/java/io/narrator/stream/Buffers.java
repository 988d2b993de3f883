package io.narrator.stream;

import java.nio.ByteBuffer;

/** Copies the bytes of Avro {@code bytes} fields (ByteBuffers) out without disturbing the record. */
final class Buffers {
    private Buffers() {}

    /** The remaining bytes of {@code buffer}, copied; the buffer's position is left as it was. */
    static byte[] toArray(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
