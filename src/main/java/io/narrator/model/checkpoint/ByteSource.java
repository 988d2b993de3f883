package io.narrator.model.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The bytes of a checkpoint file, read at any position into a caller's buffer: a file through positional
 * {@link FileChannel} reads (page cache only, never a copy of the whole file on the heap and no mapped pages counted
 * against the process), or an in-memory image. Safe for concurrent reads.
 */
abstract sealed class ByteSource implements AutoCloseable permits ByteSource.OfFile, ByteSource.OfMemory {
    private final String name;

    ByteSource(String name) {
        this.name = name;
    }

    /** The file (or resource) name used in messages. */
    final String name() {
        return name;
    }

    abstract long size();

    /**
     * Fills {@code dst} from its position to its limit with the bytes starting at {@code position}; a file shorter than
     * that is an error naming {@code what} (the tensor or structure being read).
     */
    final void read(ByteBuffer dst, long position, String what) throws CheckpointException {
        long end = position + dst.remaining();
        if (position < 0 || end > size())
            throw new CheckpointException(name + ": truncated: " + what + " needs bytes " + position + ".." + end
                    + " but the file ends at byte " + size());
        try {
            readFully(dst, position);
        } catch (IOException e) {
            throw new CheckpointException(name + ": cannot read " + what + " at byte " + position + ": " + e.getMessage(), e);
        }
    }

    abstract void readFully(ByteBuffer dst, long position) throws IOException;

    @Override
    public abstract void close() throws IOException;

    /** Closes, reporting a failure as a checkpoint error naming the file. */
    final void closeChecked() throws CheckpointException {
        try {
            close();
        } catch (IOException e) {
            throw new CheckpointException(name + ": cannot close: " + e.getMessage(), e);
        }
    }

    static ByteSource open(Path file) throws CheckpointException {
        try {
            return new OfFile(file.toString(), FileChannel.open(file, StandardOpenOption.READ));
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": no such file");
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot open: " + e.getMessage(), e);
        }
    }

    static ByteSource of(ByteBuffer bytes, String name) {
        return new OfMemory(name, bytes.duplicate());
    }

    /** A file read with positional reads. */
    static final class OfFile extends ByteSource {
        private static final int HEAP_SLICE = 1 << 20;

        private final FileChannel channel;
        private final long size;

        OfFile(String name, FileChannel channel) throws IOException {
            super(name);
            this.channel = channel;
            this.size = channel.size();
        }

        FileChannel channel() {
            return channel;
        }

        @Override
        long size() {
            return size;
        }

        @Override
        void readFully(ByteBuffer dst, long position) throws IOException {
            long at = position;
            int limit = dst.limit();
            while (dst.hasRemaining()) {
                // a heap buffer is read through a temporary direct buffer of the read's size that the JDK keeps per
                // thread: read it in bounded slices so that this copy stays small
                if (!dst.isDirect()) dst.limit(Math.min(limit, dst.position() + HEAP_SLICE));
                int n = channel.read(dst, at);
                if (n < 0) throw new java.io.EOFException("the file ended at byte " + at + " (was it truncated while open?)");
                at += n;
                dst.limit(limit);
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /** An image already in memory (the bundled model inside the jar). */
    static final class OfMemory extends ByteSource {
        private final ByteBuffer bytes;

        OfMemory(String name, ByteBuffer bytes) {
            super(name);
            this.bytes = bytes.slice();
        }

        @Override
        long size() {
            return bytes.capacity();
        }

        @Override
        void readFully(ByteBuffer dst, long position) {
            int n = dst.remaining();
            dst.put(bytes.slice((int) position, n));
        }

        @Override
        public void close() {}
    }
}
