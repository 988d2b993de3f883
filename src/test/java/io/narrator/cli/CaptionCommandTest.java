package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.ingest.SampledMedia;
import io.narrator.ingest.TimedImage;
import io.narrator.model.FlamingoModel;
import io.narrator.stream.ClipNarration;
import io.narrator.stream.ClipRequest;
import io.narrator.stream.FlamingoNarration;
import io.narrator.stream.GenerationSettings;
import io.narrator.train.world.CaptionGrammar;
import io.narrator.train.world.CaptionParser;
import io.narrator.train.world.Episode;
import io.narrator.train.world.ParsedCaption;
import io.narrator.train.world.Scene;
import io.narrator.train.world.Task;
import io.narrator.train.world.WorldVideo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaptionCommandTest {
    /** {@code stream  HH:MM:SS.mmm → HH:MM:SS.mmm  text  (N ms)}. */
    static final Pattern LINE = Pattern.compile("^(\\S+)  (\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d{3}) → (\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d{3})  (.*)  \\((\\d+) ms\\)$");

    @TempDir static Path dir;
    static Path model;
    static Path clip;

    @BeforeAll
    static void modelAndClip() throws Exception {
        ProcessSetup.configure(); // as the CLI does, before PyTorch loads
        model = TestModels.imageSensitive(java.nio.file.Files.createDirectories(dir.resolve("model")));
        clip = dir.resolve("clip.mp4");
        new WorldVideo(3, 16, 5, 64, 48).write(clip);
    }

    /** A parsed text line: stream, window in seconds from the clip's start, caption. */
    record Line(String stream, double start, double end, String text) {
        static Line parse(String line) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) throw new AssertionError("not a caption line: " + line);
            return new Line(m.group(1), seconds(m, 2), seconds(m, 6), m.group(10));
        }

        private static double seconds(Matcher m, int from) {
            return Integer.parseInt(m.group(from)) * 3600 + Integer.parseInt(m.group(from + 1)) * 60 + Integer.parseInt(m.group(from + 2))
                    + Integer.parseInt(m.group(from + 3)) / 1000.0;
        }
    }

    @Test
    void textHasOneLinePerWindowWithWhatTheModelSaysAboutThatWindowsFrames() throws Exception {
        Cli.Result r = Cli.run("caption", clip.toString(), "--model", model.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        List<Line> lines = r.outLines().stream().map(Line::parse).toList();
        // frames at 0..15 s, window 8 s, hop 4 s: windows end at 4, 8, 12 and (flushed at the end) 16 s
        assertThat(lines).extracting(Line::start).containsExactly(0.0, 0.0, 4.0, 8.0);
        assertThat(lines).extracting(Line::end).containsExactly(4.0, 8.0, 12.0, 16.0);
        assertThat(lines).extracting(Line::stream).containsOnly("clip.mp4");

        List<ClipNarration> expected = narrateDirectly(lines);
        assertThat(lines).extracting(Line::text).isEqualTo(expected.stream().map(n -> n.text().replaceAll("\\s+", " ").strip()).toList());
    }

    @Test
    void spreadWindowPhaseGivesTheWindowsTheStreamingAppMakesForThatStreamId() throws Exception {
        Cli.Result r = Cli.run("caption", clip.toString(), "--model", model.toString(), "--window-phase", "spread", "--stream-id", "cam-1");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        List<Line> lines = r.outLines().stream().map(Line::parse).toList();
        // "cam-1" spreads to second 3 of the 4 s hop: windows end at 3, 7, 11, 15 and (flushed at the end) 19 s
        assertThat(io.narrator.stream.WindowPhase.SPREAD.offsetMicros("cam-1", 4)).isEqualTo(3_000_000L);
        assertThat(lines).extracting(Line::end).containsExactly(3.0, 7.0, 11.0, 15.0, 19.0);
        assertThat(lines).extracting(Line::start).containsExactly(0.0, 0.0, 3.0, 7.0, 11.0);
        List<ClipNarration> expected = narrateDirectly(lines);
        assertThat(lines).extracting(Line::text).isEqualTo(expected.stream().map(n -> n.text().replaceAll("\\s+", " ").strip()).toList());
    }

    /** What the model says about each line's window when the test picks the frames itself: the window's latest frames, up to max_frames. */
    static List<ClipNarration> narrateDirectly(List<Line> lines) throws Exception {
        List<TimedImage> frames = SampledMedia.readAll(clip.toString(), 1);
        List<ClipNarration> expected = new ArrayList<>();
        try (FlamingoModel m = FlamingoModel.load(model); FlamingoNarration narration = new FlamingoNarration(m)) {
            for (Line line : lines) {
                List<TimedImage> window = frames.stream().filter(f -> f.timeMicros() >= line.start() * 1e6 && f.timeMicros() < line.end() * 1e6).toList();
                window = window.subList(Math.max(0, window.size() - m.config().perceiver().maxFrames()), window.size());
                ClipRequest request = new ClipRequest("clip.mp4", narration.encodeFrames(window.stream().map(TimedImage::image).toList()), List.of(), null,
                        GenerationSettings.DEFAULT);
                expected.add(narration.narrate(List.of(request)).get(0));
            }
        }
        return expected;
    }

    @Test
    void webVttAndSrtAreSubtitlesOverEachClipsWindow() {
        Cli.Result vtt = Cli.run("caption", clip.toString(), "--model", model.toString(), "--format", "webvtt", "--hop-seconds", "8");
        assertThat(vtt.exitCode()).as(vtt.toString()).isZero();
        List<String> v = vtt.outLines();
        assertThat(v.subList(0, 2)).containsExactly("WEBVTT", "");
        assertThat(v.stream().filter(l -> l.contains("-->")).toList())
                .containsExactly("00:00:00.000 --> 00:00:08.000", "00:00:08.000 --> 00:00:16.000");
        for (int i = 2; i < v.size(); i += 3) {
            assertThat(v.get(i)).contains(" --> ");
            assertThat(v.get(i + 1)).isNotBlank().doesNotContain("-->");
            assertThat(v.get(i + 2)).isEmpty();
        }

        Cli.Result srt = Cli.run("caption", clip.toString(), "--model", model.toString(), "--format", "SRT", "--window-seconds", "4", "--hop-seconds", "4");
        assertThat(srt.exitCode()).as(srt.toString()).isZero();
        List<String> s = srt.outLines();
        assertThat(s).hasSize(16);
        for (int cue = 0; cue < 4; cue++) {
            assertThat(s.get(cue * 4)).isEqualTo(String.valueOf(cue + 1));
            assertThat(s.get(cue * 4 + 1)).isEqualTo(String.format("00:00:%02d,000 --> 00:00:%02d,000", cue * 4, cue * 4 + 4));
            assertThat(s.get(cue * 4 + 2)).isNotBlank();
            assertThat(s.get(cue * 4 + 3)).isEmpty();
        }
    }

    @Test
    void jsonIsOneCaptionRecordPerLine() throws Exception {
        Cli.Result r = Cli.run("caption", clip.toString(), "--model", model.toString(), "--format", "json", "--stream-id", "lab");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> captions = new ArrayList<>();
        for (String line : r.outLines()) captions.add(json.readTree(line));
        assertThat(captions).hasSize(4);
        assertThat(captions).extracting(c -> c.get("clipIndex").asLong()).containsExactly(0L, 1L, 2L, 3L);
        assertThat(captions).extracting(c -> c.get("windowEndMicros").asLong()).containsExactly(4_000_000L, 8_000_000L, 12_000_000L, 16_000_000L);
        List<Line> windows = captions.stream().map(c -> new Line("lab", c.get("start").asDouble(), c.get("end").asDouble(), c.get("text").asText())).toList();
        List<ClipNarration> expected = narrateDirectly(windows);
        for (int i = 0; i < captions.size(); i++)
            assertThat(captions.get(i).get("logProb").asDouble()).as("log-probability of window %d", i).isCloseTo(expected.get(i).logProb(), within(1e-3));
        assertThat(captions).extracting(c -> c.get("logProb").asDouble()).as("the windows show different frames").doesNotHaveDuplicates();
        assertThat(captions).allSatisfy(c -> {
            assertThat(c.get("streamId").asText()).isEqualTo("lab");
            assertThat(c.get("modelName").asText()).isEqualTo("tiny-test");
            assertThat(c.get("text").asText()).isNotBlank();
            assertThat(c.get("error").isNull()).isTrue();
            assertThat(c.get("frameTimestamps").size()).isBetween(4, 8);
        });
    }

    @Test
    void errorsAreOneLineNamingTheProblem() {
        Cli.Result missing = Cli.run("caption", dir.resolve("nope.mp4").toString(), "--model", model.toString());
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.errLines()).singleElement().asString().startsWith("narrator: error: video source not found").contains("nope.mp4");

        Cli.Result format = Cli.run("caption", clip.toString(), "--format", "xml");
        assertThat(format.exitCode()).isEqualTo(2);
        assertThat(format.errLines()).singleElement().asString().contains("--format").contains("xml");

        Cli.Result phase = Cli.run("caption", clip.toString(), "--model", model.toString(), "--window-phase", "random");
        assertThat(phase.exitCode()).isEqualTo(1);
        assertThat(phase.errLines()).singleElement().asString().contains("window.phase must be aligned or spread, got 'random'");

        Cli.Result noModel = Cli.run("caption", clip.toString(), "--model", dir.resolve("no-model").toString());
        assertThat(noModel.exitCode()).isEqualTo(1);
        assertThat(noModel.errLines()).singleElement().asString().contains("model directory").contains("does not exist");

        Cli.Result windows = Cli.run("caption", clip.toString(), "--model", model.toString(), "--window-seconds", "2");
        assertThat(windows.exitCode()).isEqualTo(1);
        assertThat(windows.errLines()).singleElement().asString().contains("hop.seconds=4 is longer than window.seconds=2");
        Cli.Result tooManyFrames = Cli.run("caption", clip.toString(), "--model", model.toString(), "--window-seconds", "12");
        assertThat(tooManyFrames.exitCode()).isEqualTo(1);
        assertThat(tooManyFrames.errLines()).singleElement().asString().contains("makes clips of 12 frames, but model tiny-test takes at most 8");
        assertThat(missing.err() + format.err() + noModel.err() + windows.err() + tooManyFrames.err()).doesNotContain("\tat ");
    }

    @Test
    void theBundledModelDescribesEachSceneOfASyntheticClip() {
        Path world = dir.resolve("world.mp4");
        Episode episode = new WorldVideo(11, 24, 15, 320, 240).write(world);
        Cli.Result r = Cli.run("caption", world.toString(), "--hop-seconds", "8");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        List<Line> lines = r.outLines().stream().map(Line::parse).toList();
        assertThat(lines).hasSize(3);
        for (Line line : lines) {
            Optional<Scene> scene = episode.truth(Math.round(line.start() * 1e6), Math.round(line.end() * 1e6));
            assertThat(scene).as("window %s", line).isPresent();
            ParsedCaption parsed = CaptionParser.parse(line.text());
            assertThat(parsed.isCorrect(Task.CAPTION, scene.get())).as("shape, colour, count and event of '%s' for '%s' (window %s)",
                    line.text(), CaptionGrammar.canonical(scene.get(), Task.CAPTION), line).isTrue();
        }
    }
}
