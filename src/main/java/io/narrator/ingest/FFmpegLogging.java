package io.narrator.ingest;

import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_FATAL;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.avutil.setLogCallback;

import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.ffmpeg.avutil.LogCallback;
import org.bytedeco.javacpp.BytePointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes FFmpeg's own log lines to SLF4J (logger {@code io.narrator.ingest.ffmpeg}) instead of raw
 * stderr. FFmpeg's errors are logged at DEBUG: a failure that matters reaches the user once, as an
 * {@link IngestException} carrying FFmpeg's reason, and the rest (a corrupt packet in a live stream,
 * a refused connection before a retry) is noise unless one is debugging ({@code -Dnarrator.log.level=DEBUG}).
 * Only FFmpeg's fatal messages are warnings.
 */
final class FFmpegLogging {
    private static final Logger log = LoggerFactory.getLogger("io.narrator.ingest.ffmpeg");
    private static final AtomicBoolean installed = new AtomicBoolean();

    private FFmpegLogging() {}

    /** Installs the routing once per process; later calls do nothing. */
    static void install() {
        if (!installed.compareAndSet(false, true)) return;
        av_log_set_level(AV_LOG_ERROR);
        setLogCallback(ToSlf4j.INSTANCE);
    }

    private static final class ToSlf4j extends LogCallback {
        static final ToSlf4j INSTANCE = new ToSlf4j().retainReference();

        @Override
        public void call(int level, BytePointer message) {
            String text = message.getString().strip();
            if (text.isEmpty()) return;
            if (level <= AV_LOG_FATAL) log.warn(text);
            else log.debug(text);
        }
    }
}
