package io.narrator.bench;

import io.narrator.ingest.EncodedFrame;
import io.narrator.ingest.EncodedSegment;
import io.narrator.ingest.IngestException;
import io.narrator.ingest.IngestJob;
import io.narrator.ingest.IngestOptions;
import io.narrator.ingest.IngestSink;
import io.narrator.ingest.VideoSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code narrator bench ingest FILE}: times Narrator's 1 FPS frame sampling of a video file (decode every
 * frame, convert and JPEG-encode the kept ones) against the same job done by the ffmpeg command line,
 * {@code ffmpeg -i FILE -vf fps=1 -f image2pipe -vcodec mjpeg -}, and reports the ratio. The target is a
 * ratio of at most {@value #TARGET_RATIO}.
 *
 * <p>Both sides run once untimed first (loading FFmpeg's natives into the JVM, warming the JIT and the
 * page cache), then alternate {@code runs} times; the median of each side is compared. The JavaCV side
 * runs in this JVM, so JVM start-up is excluded, as it would be for a long-running ingest.
 */
public final class IngestBenchmark {
    /** Narrator's target: JavaCV sampling no slower than this multiple of the ffmpeg command line. */
    public static final double TARGET_RATIO = 1.2;

    /**
     * What one benchmark measured.
     *
     * @param file the video file
     * @param javacvSeconds median wall time of Narrator's ingest
     * @param ffmpegSeconds median wall time of the ffmpeg command
     * @param ratio {@code javacvSeconds / ffmpegSeconds}
     * @param javacvFrames frames Narrator kept and encoded
     * @param ffmpegFrames JPEG frames ffmpeg wrote
     * @param javacvRuns every timed run of Narrator's ingest, in seconds
     * @param ffmpegRuns every timed run of the ffmpeg command, in seconds
     * @param ffmpegCommand the command that was timed
     */
    public record Result(
            Path file, double javacvSeconds, double ffmpegSeconds, double ratio, long javacvFrames, long ffmpegFrames, List<Double> javacvRuns,
            List<Double> ffmpegRuns, List<String> ffmpegCommand) {

        public Result {
            Objects.requireNonNull(file, "file");
            javacvRuns = List.copyOf(javacvRuns);
            ffmpegRuns = List.copyOf(ffmpegRuns);
            ffmpegCommand = List.copyOf(ffmpegCommand);
        }

        /** Whether the ratio meets {@link #TARGET_RATIO}. */
        public boolean meetsTarget() {
            return ratio <= TARGET_RATIO;
        }
    }

    private final Path ffmpeg;
    private final int runs;

    /**
     * @param ffmpeg the ffmpeg executable
     * @param runs timed runs of each side, at least 1
     */
    public IngestBenchmark(Path ffmpeg, int runs) {
        this.ffmpeg = Objects.requireNonNull(ffmpeg, "ffmpeg");
        if (runs < 1) throw new IllegalArgumentException("a benchmark needs at least 1 run, got " + runs);
        this.runs = runs;
    }

    /** The {@code ffmpeg} executable on the PATH, if there is one (Debian: {@code apt-get install ffmpeg}). */
    public static Optional<Path> findFfmpeg() {
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        return Arrays.stream(path.split(java.io.File.pathSeparator))
                .filter(dir -> !dir.isBlank())
                .map(dir -> Path.of(dir, "ffmpeg"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /**
     * Benchmarks both sides on {@code file}.
     *
     * @throws IngestException if the file cannot be read by either side
     */
    public Result run(Path file) {
        VideoSource source = VideoSource.parse(file.toString());
        if (source.kind() != VideoSource.Kind.FILE) throw new IngestException("bench ingest needs a video file, got " + source);
        List<String> command = command(file);
        runJavaCv(source);
        runFfmpeg(command, file);
        List<Double> javacv = new ArrayList<>();
        List<Double> native_ = new ArrayList<>();
        long javacvFrames = 0;
        long ffmpegFrames = 0;
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            ffmpegFrames = runFfmpeg(command, file);
            native_.add((System.nanoTime() - t0) / 1e9);
            long t1 = System.nanoTime();
            javacvFrames = runJavaCv(source);
            javacv.add((System.nanoTime() - t1) / 1e9);
        }
        double javacvSeconds = median(javacv);
        double ffmpegSeconds = median(native_);
        return new Result(file, javacvSeconds, ffmpegSeconds, javacvSeconds / ffmpegSeconds, javacvFrames, ffmpegFrames, javacv, native_,
                command);
    }

    /** The ffmpeg command that does what {@code narrator ingest FILE --fps 1} does. */
    List<String> command(Path file) {
        return List.of(ffmpeg.toString(), "-nostdin", "-hide_banner", "-loglevel", "error", "-i", file.toString(), "-vf", "fps=1", "-f",
                "image2pipe", "-vcodec", "mjpeg", "-");
    }

    private static long runJavaCv(VideoSource source) {
        CountingSink sink = new CountingSink();
        IngestJob.builder()
                .setSource(source)
                // a start time on a whole second aligns the sampling periods with media seconds, as ffmpeg's fps filter does
                .setOptions(IngestOptions.builder().setStreamId("bench").optStartTime(Instant.EPOCH).build())
                .setSink(sink)
                .build()
                .run();
        return sink.frames;
    }

    /** Runs ffmpeg, reading its JPEG stream as a consumer would, and returns the number of JPEGs it wrote. */
    private static long runFfmpeg(List<String> command, Path file) {
        Path errors = null;
        try {
            errors = Files.createTempFile("narrator-bench-ffmpeg", ".log");
            Process process = new ProcessBuilder(command).redirectError(errors.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE).start();
            process.getOutputStream().close();
            long frames = countJpegs(process.getInputStream());
            int exit = process.waitFor();
            if (exit != 0) {
                String log = Files.readString(errors, StandardCharsets.UTF_8).strip();
                throw new IngestException("ffmpeg failed on " + file + " (exit " + exit + ")" + (log.isEmpty() ? "" : ": " + log));
            }
            return frames;
        } catch (IOException e) {
            throw new IngestException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IngestException("interrupted while running ffmpeg", e);
        } finally {
            if (errors != null) {
                try {
                    Files.deleteIfExists(errors);
                } catch (IOException e) {
                    // a temporary file left behind is harmless
                }
            }
        }
    }

    /** Counts JPEG start-of-image markers (FF D8 FF); inside a JPEG's data, FF is always followed by 00 or a marker. */
    static long countJpegs(InputStream in) throws IOException {
        byte[] buffer = new byte[1 << 16];
        long count = 0;
        int state = 0; // bytes of FF D8 FF matched so far
        int n;
        while ((n = in.read(buffer)) > 0) {
            for (int i = 0; i < n; i++) {
                int b = buffer[i] & 0xff;
                if (state == 0) state = b == 0xff ? 1 : 0;
                else if (state == 1) state = b == 0xd8 ? 2 : b == 0xff ? 1 : 0;
                else {
                    if (b == 0xff) count++;
                    state = b == 0xff ? 1 : 0;
                }
            }
        }
        return count;
    }

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** Counts frames and drops them: the benchmark measures ingest, not a sink. */
    private static final class CountingSink implements IngestSink {
        long frames;

        @Override
        public void onFrame(EncodedFrame frame) {
            frames++;
        }

        @Override
        public void onSegment(EncodedSegment segment) {
            throw new IllegalStateException("the ingest benchmark reads frames only");
        }

        @Override
        public void close() {}
    }
}
