package io.narrator.ingest;

import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.BytePointer;

/** Turns JavaCV's FFmpeg exceptions into {@link IngestException}s that name the source and the problem in plain words. */
final class FFmpegErrors {
    private static final Pattern ERROR_CODE = Pattern.compile("error (-?\\d+)");
    private static final Pattern CODEC_ID = Pattern.compile("codec not found: (\\d+)");

    private FFmpegErrors() {}

    /** Explains why {@code grabber.start()} failed for {@code source}. */
    static IngestException openFailed(VideoSource source, Exception e) {
        String message = String.valueOf(e.getMessage());
        String reason = reason(message);
        String what = describe(source);
        if (message.contains("avformat_open_input")) {
            return switch (source.kind()) {
                case URL -> new IngestException("cannot open " + what + " (" + reason + "): check the address and that the stream is up", e);
                case DEVICE -> new IngestException("cannot open " + what + " (" + reason + "): is another program using the camera?", e);
                default -> new IngestException("cannot read " + what + ": not a video FFmpeg can open (" + reason + ")", e);
            };
        }
        if (message.contains("Did not find a video or audio stream")) return noVideo(source);
        if (message.contains("avcodec_find_decoder")) {
            Matcher m = CODEC_ID.matcher(message);
            String codec = m.find() ? codecName(Integer.parseInt(m.group(1))) : "unknown";
            return new IngestException(what + " uses a video codec this build of FFmpeg cannot decode (" + codec + ")", e);
        }
        if (message.contains("avformat_find_stream_info")) {
            return new IngestException("cannot find the streams of " + what + " (" + reason + "): the file may be truncated or corrupt", e);
        }
        if (message.contains("avcodec_open2")) return new IngestException("cannot open the video decoder for " + what + " (" + reason + ")", e);
        return new IngestException("cannot read " + what + ": " + message, e);
    }

    /** The source opened but carries no video. */
    static IngestException noVideo(VideoSource source) {
        return new IngestException(describe(source) + " has no video stream (is it an audio file?)");
    }

    /** {@code "video file x.mp4"}, {@code "stream rtsp://…"}, {@code "video device /dev/video0"}. */
    static String describe(VideoSource source) {
        return switch (source.kind()) {
            case FILE -> "video file " + source;
            case URL -> "stream " + source;
            case DEVICE -> "video device " + source;
            case IMAGE_FOLDER -> "image folder " + source;
        };
    }

    /** FFmpeg's text for the error code in a JavaCV message, or the message itself. */
    static String reason(String message) {
        Matcher m = ERROR_CODE.matcher(message);
        if (!m.find()) return message;
        int code;
        try {
            code = Integer.parseInt(m.group(1));
        } catch (NumberFormatException e) {
            return message;
        }
        byte[] text = new byte[256];
        if (av_strerror(code, text, text.length) < 0) return "FFmpeg error " + code;
        int length = 0;
        while (length < text.length && text[length] != 0) length++;
        return new String(text, 0, length, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The short name FFmpeg gives a codec id, such as {@code h264}. */
    static String codecName(int codecId) {
        BytePointer name = avcodec_get_name(codecId);
        return name == null || name.isNull() ? "codec " + codecId : name.getString();
    }
}
