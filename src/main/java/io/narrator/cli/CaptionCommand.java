package io.narrator.cli;

import io.narrator.ingest.VideoSource;
import io.narrator.model.FlamingoModel;
import io.narrator.stream.FileNarrator;
import io.narrator.stream.FlamingoNarration;
import io.narrator.stream.NarratorConfig;
import io.narrator.stream.WindowPhase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code narrator caption}: narrates a video offline, without Kafka, exactly as the streaming app would. */
@Command(name = "caption", header = "Narrate a video file offline, without Kafka.",
        mixinStandardHelpOptions = true, sortOptions = false,
        description = "Narrates a video without Kafka: the same 1 FPS sampling, clip windows (window.seconds, hop.seconds; --window-phase), generation settings and model as `narrator run`, printed as text, JSON lines, WebVTT or SRT subtitles.",
        footer = {"", "Examples:",
                "  narrator caption clip.mp4",
                "  narrator caption clip.mp4 --format webvtt > clip.vtt",
                "  narrator caption frames/ --format json --model runs/tiny/model",
                "  narrator caption clip.mp4 --window-seconds 4 --hop-seconds 4 --format srt > clip.srt"})
final class CaptionCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "VIDEO", description = "A video file, an image, a folder of frames (one per second), or an http(s)/rtsp URL.")
    String video;

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "text, json, webvtt or srt (default: ${DEFAULT-VALUE}).")
    CaptionFormat format;

    @Mixin ModelOption model;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "narrator.properties to take sample.fps, window.seconds, hop.seconds, generation.*, batch.max, model.device and model.dtype from; repeatable.")
    List<Path> configFiles = new ArrayList<>();

    @Option(names = "--window-seconds", paramLabel = "S", description = "Clip length in seconds (default: window.seconds, 8).")
    Integer windowSeconds;

    @Option(names = "--hop-seconds", paramLabel = "S", description = "A clip every S seconds (default: hop.seconds, 4).")
    Integer hopSeconds;

    @Option(names = "--window-phase", paramLabel = "PHASE", defaultValue = "aligned",
            description = "aligned: windows end at multiples of the hop from the video's start (default here); spread: where the streaming app "
                    + "(window.phase=spread) ends this stream id's windows, for captions that match `narrator run`'s.")
    String windowPhase;

    @Option(names = "--stream-id", paramLabel = "ID", description = "Stream id the captions carry (default: the video's file name).")
    String streamId;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        VideoSource source = VideoSource.parse(video);
        NarratorConfig config = config();
        String id = streamId != null ? streamId : defaultStreamId(source);
        CaptionWriter writer = new CaptionWriter(spec.commandLine().getOut(), format, false);
        writer.origin(id, 0); // event times are media times: the first frame is at 0
        writer.begin();
        try (FlamingoModel m = model.load(config); FlamingoNarration narration = new FlamingoNarration(m)) {
            new FileNarrator(narration, config).narrate(source.location(), id, writer::write);
        }
        return 0;
    }

    private NarratorConfig config() {
        NarratorConfig config = KafkaOptions.load(configFiles);
        Map<String, String> p = new HashMap<>(config.properties());
        if (windowSeconds != null) p.put("window.seconds", String.valueOf(windowSeconds));
        if (hopSeconds != null) p.put("hop.seconds", String.valueOf(hopSeconds));
        p.put("window.phase", WindowPhase.parse(windowPhase).key());
        return NarratorConfig.of(p);
    }

    static String defaultStreamId(VideoSource source) {
        if (source.kind() == VideoSource.Kind.URL || source.kind() == VideoSource.Kind.DEVICE) return source.location();
        Path name = Path.of(source.location()).toAbsolutePath().normalize().getFileName();
        return name == null ? source.location() : name.toString();
    }
}
