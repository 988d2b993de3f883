package io.narrator.stream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.util.Utf8;

/**
 * An Avro binary {@link Decoder} over the bytes of one record that refuses, before allocating anything for it, every
 * declared length or count the record cannot hold: a string or bytes length beyond the bytes left, an array or map
 * block of more items than bytes left (every item of a Narrator schema takes at least one byte, which
 * {@link AvroSerde} checks for each schema it reads), or a block byte size beyond the bytes left.
 *
 * <p>So decoding one record allocates at most a small multiple of its own size, whatever it declares. Avro's own
 * limits ({@code org.apache.avro.limits.*}) are not enough for that: they are system properties read once, when Avro's
 * classes load, for the whole JVM; they bound a length by a fixed number rather than by the record at hand; and Avro
 * sizes an array's storage by the declared count, so a 31-byte record declaring two billion items still allocates
 * gigabytes under any limit large enough for real records.
 *
 * <p>Fixed-size values (ints, longs, floats, doubles, booleans, enum and union indexes, fixed) are read by Avro's
 * {@link BinaryDecoder}, reading straight from the bytes so that {@link #remaining()} is exact.
 */
final class BoundedDecoder extends Decoder {
    private final ByteArrayInputStream bytes;
    private final BinaryDecoder in;

    private BoundedDecoder(byte[] data, int offset, int length) {
        this.bytes = new ByteArrayInputStream(data, offset, length);
        this.in = DecoderFactory.get().directBinaryDecoder(bytes, null);
    }

    /** A decoder of {@code length} bytes of {@code data} from {@code offset}. */
    static BoundedDecoder of(byte[] data, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > data.length)
            throw new IllegalArgumentException("range [" + offset + ", " + offset + length + ") is outside the " + data.length + " bytes");
        return new BoundedDecoder(data, offset, length);
    }

    /** Bytes not read yet. */
    int remaining() {
        return bytes.available();
    }

    /** A value's declared length or count, which the record did not have room for. */
    static final class DeclaredSizeException extends IOException {
        DeclaredSizeException(String message) {
            super(message);
        }
    }

    private int length(String what) throws IOException {
        long length = in.readLong();
        if (length < 0) throw new DeclaredSizeException(what + " declares a negative length " + length);
        if (length > remaining())
            throw new DeclaredSizeException(what + " declares " + length + " bytes but only " + remaining() + " are left in the record");
        return (int) length;
    }

    /** The item count of the next block (or 0 at the end), after checking it and, for a sized block, its byte size. */
    private long blockCount(String what) throws IOException {
        long count = in.readLong();
        if (count < 0) {
            if (count == Long.MIN_VALUE) throw new DeclaredSizeException(what + " declares an impossible block count " + count);
            count = -count;
            long size = in.readLong();
            if (size < 0 || size > remaining())
                throw new DeclaredSizeException(what + " block declares " + size + " bytes but only " + remaining() + " are left in the record");
        }
        if (count > remaining())
            throw new DeclaredSizeException(what + " declares " + count + " items but only " + remaining() + " bytes are left in the record");
        return count;
    }

    @Override
    public void readNull() throws IOException {
        in.readNull();
    }

    @Override
    public boolean readBoolean() throws IOException {
        return in.readBoolean();
    }

    @Override
    public int readInt() throws IOException {
        return in.readInt();
    }

    @Override
    public long readLong() throws IOException {
        return in.readLong();
    }

    @Override
    public float readFloat() throws IOException {
        return in.readFloat();
    }

    @Override
    public double readDouble() throws IOException {
        return in.readDouble();
    }

    @Override
    public Utf8 readString(Utf8 old) throws IOException {
        int length = length("a string");
        Utf8 result = old != null ? old : new Utf8();
        result.setByteLength(length);
        in.readFixed(result.getBytes(), 0, length);
        return result;
    }

    @Override
    public String readString() throws IOException {
        byte[] utf8 = new byte[length("a string")];
        in.readFixed(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }

    @Override
    public void skipString() throws IOException {
        in.skipFixed(length("a string"));
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws IOException {
        byte[] data = new byte[length("a bytes field")];
        in.readFixed(data);
        return ByteBuffer.wrap(data);
    }

    @Override
    public void skipBytes() throws IOException {
        in.skipFixed(length("a bytes field"));
    }

    @Override
    public void readFixed(byte[] data, int start, int length) throws IOException {
        if (length > remaining()) throw new DeclaredSizeException("a fixed of " + length + " bytes but only " + remaining() + " are left");
        in.readFixed(data, start, length);
    }

    @Override
    public void skipFixed(int length) throws IOException {
        if (length > remaining()) throw new DeclaredSizeException("a fixed of " + length + " bytes but only " + remaining() + " are left");
        in.skipFixed(length);
    }

    @Override
    public int readEnum() throws IOException {
        return in.readEnum();
    }

    @Override
    public long readArrayStart() throws IOException {
        return blockCount("an array");
    }

    @Override
    public long arrayNext() throws IOException {
        return blockCount("an array");
    }

    @Override
    public long skipArray() throws IOException {
        return skipBlocks("an array");
    }

    @Override
    public long readMapStart() throws IOException {
        return blockCount("a map");
    }

    @Override
    public long mapNext() throws IOException {
        return blockCount("a map");
    }

    @Override
    public long skipMap() throws IOException {
        return skipBlocks("a map");
    }

    /** Skips the blocks that declare their byte size; returns the item count of the first that does not (0 at the end). */
    private long skipBlocks(String what) throws IOException {
        while (true) {
            long count = in.readLong();
            if (count >= 0) {
                if (count > remaining())
                    throw new DeclaredSizeException(what + " declares " + count + " items but only " + remaining() + " bytes are left in the record");
                return count;
            }
            if (count == Long.MIN_VALUE) throw new DeclaredSizeException(what + " declares an impossible block count " + count);
            long size = in.readLong();
            if (size < 0 || size > remaining())
                throw new DeclaredSizeException(what + " block declares " + size + " bytes but only " + remaining() + " are left in the record");
            in.skipFixed((int) size);
        }
    }

    @Override
    public int readIndex() throws IOException {
        return in.readIndex();
    }
}
