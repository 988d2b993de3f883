package io.narrator.train.world;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Writes frames as numbered image files in a folder: {@code frame_000000.png}, {@code frame_000001.png},
 * … in the order written (zero-padded, so names sort in time order), plus {@code timestamps.csv}
 * mapping each file to its timestamp in microseconds when the writer is closed.
 */
public final class FrameFolderWriter implements AutoCloseable {

    /** The name of the file listing each frame's timestamp. */
    public static final String TIMESTAMPS = "timestamps.csv";
    private static final float JPEG_QUALITY = 0.92f;

    private final Path folder;
    private final ImageFileFormat format;
    private final StringBuilder timestamps = new StringBuilder("file,timestamp_micros\n");
    private int written;
    private boolean closed;

    /** A writer into {@code folder} (created if missing); fails clearly if the folder cannot be written. */
    public FrameFolderWriter(Path folder, ImageFileFormat format) {
        if (folder == null) throw new IllegalArgumentException("frame folder must not be null");
        if (format == null) throw new IllegalArgumentException("image format must not be null");
        if (Files.exists(folder) && !Files.isDirectory(folder))
            throw new IllegalArgumentException("cannot write frames to " + folder + ": it is a file, not a folder");
        try {
            Files.createDirectories(folder);
        } catch (IOException | SecurityException e) {
            throw new IllegalArgumentException("cannot create frame folder " + folder + " (" + e + ")", e);
        }
        if (!Files.isWritable(folder)) throw new IllegalArgumentException("cannot write frames to " + folder + ": no write permission");
        this.folder = folder;
        this.format = format;
    }

    /** The name of the {@code index}-th frame file. */
    public static String fileName(int index, ImageFileFormat format) {
        return String.format("frame_%06d%s", index, format.extension());
    }

    /** Writes the next frame and returns its path. */
    public Path write(RenderedFrame frame) {
        if (closed) throw new IllegalStateException("frame folder writer for " + folder + " is closed");
        if (frame == null) throw new IllegalArgumentException("frame must not be null");
        String name = fileName(written, format);
        Path file = folder.resolve(name);
        try {
            if (format == ImageFileFormat.JPEG) writeJpeg(frame, file);
            else if (!ImageIO.write(frame.image(), format.imageIoName(), file.toFile()))
                throw new IllegalStateException("no ImageIO writer for " + format);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write frame " + file + ": " + e.getMessage(), e);
        }
        timestamps.append(name).append(',').append(frame.timestampMicros()).append('\n');
        written++;
        return file;
    }

    /** Writes every frame of {@code frames} in order. */
    public void writeAll(Stream<RenderedFrame> frames) {
        frames.forEachOrdered(this::write);
    }

    /** How many frames have been written. */
    public int framesWritten() {
        return written;
    }

    /** Writes {@value #TIMESTAMPS}; the writer cannot be used afterwards. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            Files.writeString(folder.resolve(TIMESTAMPS), timestamps);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + folder.resolve(TIMESTAMPS) + ": " + e.getMessage(), e);
        }
    }

    private static void writeJpeg(RenderedFrame frame, Path file) throws IOException {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        if (!writers.hasNext()) throw new IllegalStateException("no ImageIO JPEG writer");
        ImageWriter writer = writers.next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(JPEG_QUALITY);
        Files.deleteIfExists(file);
        try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            if (out == null) throw new IOException("cannot open " + file + " for writing");
            writer.setOutput(out);
            writer.write(null, new IIOImage(frame.image(), null, null), param);
        } finally {
            writer.dispose();
        }
    }
}
