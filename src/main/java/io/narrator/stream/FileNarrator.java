package io.narrator.stream;

import io.narrator.avro.Caption;
import io.narrator.avro.CaptionLatency;
import io.narrator.ingest.SampledMedia;
import io.narrator.ingest.TimedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Narrates a video without Kafka, the way the streaming application would narrate it after
 * {@code narrator ingest}: frames sampled at {@code sample.fps} by the ingest engine, vision features per
 * frame, the same clip windows ({@link ClipWindows}: {@code window.seconds}, {@code hop.seconds}, the last
 * partial window flushed at the end), batches of up to {@code batch.max} clips, the configured generation
 * settings, and the same {@link Caption} records, with event times = media times from the first frame (0).
 * What {@code narrator caption} runs.
 */
public final class FileNarrator {
    /** Frames encoded together by the vision encoder. */
    private static final int ENCODE_BATCH = 8;

    private final Narration narration;
    private final NarratorConfig config;

    public FileNarrator(Narration narration, NarratorConfig config) {
        this.narration = Objects.requireNonNull(narration, "narration");
        this.config = Objects.requireNonNull(config, "config");
    }

    /** The features of one kept frame, with its place among the kept frames and the time its encoding took. */
    private record Encoded(long sequence, byte[] features, long visionMicros) {}

    /**
     * Reads {@code location} (a video file, URL, image or folder of frames) and hands each clip's caption to
     * {@code captions}, in clip order, as soon as it is narrated.
     *
     * @param streamId the stream id the captions carry
     * @return the number of captions made
     * @throws io.narrator.ingest.IngestException when the video cannot be read
     */
    public long narrate(String location, String streamId, Consumer<Caption> captions) {
        Run run = new Run(streamId, captions);
        SampledMedia.read(location, config.sampleFps(), run::frame);
        run.finish();
        return run.published;
    }

    /** The state of one narration: frames waiting for the vision encoder, windows, clips waiting for the model. */
    private final class Run {
        private final String streamId;
        private final Consumer<Caption> captions;
        private final ClipWindows<Encoded> windows;
        private final int batch;
        private final List<TimedImage> toEncode = new ArrayList<>();
        private final List<ClipWindows.Clip<Encoded>> toNarrate = new ArrayList<>();
        private final List<Long> closedAtNanos = new ArrayList<>();
        private long sequence;
        private String previousCaption;
        private long published;

        Run(String streamId, Consumer<Caption> captions) {
            if (streamId == null || streamId.isBlank()) throw new IllegalArgumentException("a stream id is required");
            ModelInfo model = narration.modelInfo();
            int framesPerWindow = PromptLibrary.framesPerWindow(config.windowSeconds(), config.sampleFps());
            if (framesPerWindow > model.maxFrames()) // the streaming app refuses the same configuration
                throw new IllegalArgumentException("window.seconds=" + config.windowSeconds() + " at sample.fps=" + config.sampleFps() + " makes clips of "
                        + framesPerWindow + " frames, but model " + model.name() + " takes at most " + model.maxFrames()
                        + ": lower window.seconds or sample.fps");
            this.streamId = streamId;
            this.captions = Objects.requireNonNull(captions, "captions");
            this.windows = config.clipWindows(streamId, narration.modelInfo().maxFrames());
            // with the previous caption as context, each clip waits for the one before it, as a stream does
            this.batch = config.contextPreviousCaption() ? 1 : config.batchMax();
        }

        void frame(TimedImage frame) {
            toEncode.add(frame);
            if (toEncode.size() >= ENCODE_BATCH) encode();
            while (toNarrate.size() >= batch) narrate();
        }

        void finish() {
            encode();
            windows.flush().ifPresent(this::closed);
            while (!toNarrate.isEmpty()) narrate();
        }

        private void encode() {
            if (toEncode.isEmpty()) return;
            long start = System.nanoTime();
            List<byte[]> features = narration.encodeFrames(toEncode.stream().map(TimedImage::image).toList());
            long visionMicros = (System.nanoTime() - start) / 1000 / toEncode.size();
            for (int i = 0; i < toEncode.size(); i++)
                windows.add(toEncode.get(i).timeMicros(), new Encoded(sequence++, features.get(i), visionMicros)).forEach(this::closed);
            toEncode.clear();
        }

        private void closed(ClipWindows.Clip<Encoded> clip) {
            toNarrate.add(clip);
            closedAtNanos.add(System.nanoTime());
        }

        private void narrate() {
            int n = Math.min(batch, toNarrate.size());
            List<ClipWindows.Clip<Encoded>> clips = new ArrayList<>(toNarrate.subList(0, n));
            List<Long> closedAt = new ArrayList<>(closedAtNanos.subList(0, n));
            toNarrate.subList(0, n).clear();
            closedAtNanos.subList(0, n).clear();
            List<ClipRequest> requests = new ArrayList<>(n);
            for (ClipWindows.Clip<Encoded> clip : clips)
                requests.add(new ClipRequest(streamId, clip.frames().stream().map(Encoded::features).toList(), List.of(),
                        config.contextPreviousCaption() ? previousCaption : null, config.generation()));
            long queued = System.nanoTime();
            List<ClipNarration> results = narration.narrate(requests);
            for (int i = 0; i < n; i++) publish(clips.get(i), results.get(i), (queued - closedAt.get(i)) / 1_000_000, closedAt.get(i));
        }

        private void publish(ClipWindows.Clip<Encoded> clip, ClipNarration result, long queueMs, long closedAtNanos) {
            if (result.ok() && config.suppressRepeats() && result.text().equals(previousCaption)) return;
            long visionMs = clip.frames().stream().mapToLong(Encoded::visionMicros).sum() / 1000;
            ModelInfo model = narration.modelInfo();
            Caption caption = Caption.newBuilder()
                    .setStreamId(streamId)
                    .setClipIndex(clip.index())
                    .setWindowStartMicros(clip.startMicros())
                    .setWindowEndMicros(clip.endMicros())
                    .setFrameTimestamps(clip.timestamps())
                    .setFrameSequences(clip.frames().stream().map(Encoded::sequence).toList())
                    .setText(result.ok() ? result.text() : "")
                    .setLogProb(result.ok() && !Double.isNaN(result.logProb()) ? result.logProb() : null)
                    .setPromptVersion(null)
                    .setModelName(model.name())
                    .setModelVersion(model.version())
                    .setLatency(new CaptionLatency(queueMs, 0L, visionMs, result.generationMs(), (System.nanoTime() - closedAtNanos) / 1_000_000))
                    .setError(result.error())
                    .setCreatedAtMillis(System.currentTimeMillis())
                    .build();
            if (result.ok()) previousCaption = result.text();
            published++;
            captions.accept(caption);
        }
    }
}
