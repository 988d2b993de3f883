package io.narrator.train.world;

import java.nio.file.Path;
import java.util.Locale;

/** The container a {@link ClipWriter} muxes H.264 into. */
public enum VideoContainer {
    /** MP4: a plain file, or fragmented ({@code frag_keyframe+empty_moov}) when written to a stream. */
    MP4("mp4", ".mp4"),
    /** MPEG transport stream: streamable as it is, the usual format of live segments. */
    MPEG_TS("mpegts", ".ts");

    private final String ffmpegFormat;
    private final String extension;

    VideoContainer(String ffmpegFormat, String extension) {
        this.ffmpegFormat = ffmpegFormat;
        this.extension = extension;
    }

    /** FFmpeg's name of the muxer. */
    public String ffmpegFormat() {
        return ffmpegFormat;
    }

    /** The usual file extension, with the dot. */
    public String extension() {
        return extension;
    }

    /** The container a file name implies: {@code .mp4} or {@code .ts}/{@code .mts}/{@code .m2ts}. */
    public static VideoContainer ofFileName(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".mp4")) return MP4;
        if (name.endsWith(".ts") || name.endsWith(".mts") || name.endsWith(".m2ts")) return MPEG_TS;
        throw new IllegalArgumentException("cannot tell the video container of " + file + ": use a .mp4 or .ts file name");
    }
}
