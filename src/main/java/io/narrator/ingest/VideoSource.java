package io.narrator.ingest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where ingest reads video from, as the user wrote it: a video file, an http(s)/rtsp/rtmp/srt/udp URL, a
 * V4L2 device ({@code /dev/video0}) or a folder of JPEG/PNG images.
 *
 * @param location the path or URL
 * @param kind what the location names
 */
public record VideoSource(String location, Kind kind) {

    /** What a {@link VideoSource} names; decides how it is opened and whether it may reconnect. */
    public enum Kind {
        /** A video file; read once from start to end, never reconnected. */
        FILE,
        /** A network stream; reconnected with backoff when it drops, unless it has a known length (a file served over HTTP). */
        URL,
        /** A V4L2 capture device, read with FFmpeg's {@code video4linux2} input; reconnected when it drops. */
        DEVICE,
        /** A folder of JPEG/PNG images, one frame each, in name order. */
        IMAGE_FOLDER
    }

    private static final Pattern URL_SCHEME = Pattern.compile("^(https?|rtsps?|rtmps?|srt|udp|tcp|rtp)://.+", Pattern.CASE_INSENSITIVE);
    private static final Pattern ANY_SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");

    public VideoSource {
        if (location == null || location.isBlank()) throw new IllegalArgumentException("a video source needs a path, URL or device");
        Objects.requireNonNull(kind, "kind");
    }

    /**
     * Reads what the user typed: a URL by its scheme, a device under {@code /dev/}, otherwise a file or a
     * folder, which must exist.
     *
     * @throws IngestException if the location names nothing that can be read
     */
    public static VideoSource parse(String location) {
        if (location == null || location.isBlank()) throw new IngestException("no video source given: pass a file, folder, URL or /dev/videoN");
        String text = location.strip();
        if (URL_SCHEME.matcher(text).matches()) return new VideoSource(text, Kind.URL);
        if (ANY_SCHEME.matcher(text).matches()) {
            throw new IngestException("unsupported URL scheme in " + text + ": use http(s), rtsp(s), rtmp(s), srt, udp, tcp or rtp");
        }
        Path path = Path.of(text);
        if (text.startsWith("/dev/")) {
            if (!Files.exists(path)) throw new IngestException("no video device at " + text + " (is the camera connected? see `ls /dev/video*`)");
            if (!Files.isReadable(path)) throw new IngestException("video device " + text + " is not readable by this user (add it to the 'video' group)");
            return new VideoSource(text, Kind.DEVICE);
        }
        if (Files.isDirectory(path)) {
            if (!Files.isReadable(path)) throw new IngestException("image folder " + text + " is not readable");
            return new VideoSource(text, Kind.IMAGE_FOLDER);
        }
        if (!Files.exists(path)) throw new IngestException("video source not found: no file or folder at " + text);
        if (!Files.isRegularFile(path)) throw new IngestException(text + " is neither a video file nor a folder of images");
        if (!Files.isReadable(path)) throw new IngestException("video file " + text + " is not readable");
        return new VideoSource(text, Kind.FILE);
    }

    /** Whether the source may be reconnected after it drops (URLs and devices; a URL with a known length is read like a file). */
    public boolean mayBeLive() {
        return kind == Kind.URL || kind == Kind.DEVICE;
    }

    /** The scheme of a URL source in lower case, or the empty string for other kinds. */
    String scheme() {
        if (kind != Kind.URL) return "";
        return location.substring(0, location.indexOf("://")).toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return location;
    }
}
