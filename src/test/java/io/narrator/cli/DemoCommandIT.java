package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.train.world.CaptionGrammar;
import io.narrator.train.world.CaptionParser;
import io.narrator.train.world.Episode;
import io.narrator.train.world.ParsedCaption;
import io.narrator.train.world.Scene;
import io.narrator.train.world.Task;
import io.narrator.train.world.WorldVideo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code narrator demo} end to end: embedded broker, narrator, ingest of a rendered clip, captions printed as they arrive. */
class DemoCommandIT {
    @TempDir static Path dir;
    static Path model;

    @BeforeAll
    static void model() throws Exception {
        ProcessSetup.configure();
        model = TestModels.imageSensitive(Files.createDirectories(dir.resolve("model")));
    }

    /** A printed caption and the ground truth printed under it, if any. */
    record Printed(CaptionCommandTest.Line line, String truth) {}

    static List<Printed> captions(Cli.Result r) {
        List<Printed> out = new ArrayList<>();
        for (String l : r.outLines()) {
            if (CaptionCommandTest.LINE.matcher(l).matches()) out.add(new Printed(CaptionCommandTest.Line.parse(l), null));
            else if (l.startsWith("      truth: ")) out.set(out.size() - 1, new Printed(out.get(out.size() - 1).line(), l.substring(13)));
        }
        return out;
    }

    @Test
    void theDemoNarratesEveryWindowOfTheSyntheticClipThenExits() {
        Cli.Result r = Cli.run("demo", "--model", model.toString(), "--seconds", "16", "--seed", "3");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        Episode episode = new WorldVideo(3, 16, DemoCommand.FPS, DemoCommand.WIDTH, DemoCommand.HEIGHT).episode();
        assertThat(r.outLines().get(0)).isEqualTo("rendered a 16 s clip of the synthetic world (seed 3, 2 scenes, 320x240 at 15 fps)");
        assertThat(r.out()).contains("model tiny-test 0.0.1 on " + (io.narrator.model.ModelDevice.visibleGpus() > 0 ? "gpu:0" : "cpu")
                + " (f32); embedded Kafka broker on localhost:").contains("narrator running; ingesting the clip as stream world");

        List<Printed> printed = captions(r);
        assertThat(printed).extracting(p -> p.line().stream()).containsOnly("world");
        assertThat(printed).extracting(p -> p.line().start()).containsExactly(0.0, 0.0, 4.0, 8.0);
        assertThat(printed).extracting(p -> p.line().end()).containsExactly(4.0, 8.0, 12.0, 16.0);
        assertThat(printed).extracting(p -> p.line().text()).allSatisfy(t -> assertThat(t).isNotBlank().doesNotStartWith("[no caption"));
        String first = CaptionGrammar.canonical(episode.scenes().get(0), Task.CAPTION);
        String second = CaptionGrammar.canonical(episode.scenes().get(1), Task.CAPTION);
        assertThat(printed).extracting(Printed::truth).containsExactly(first, first, null, second);
        assertThat(r.outLines().get(r.outLines().size() - 1)).startsWith("narrated 4 clips in ");
    }

    @Test
    void aGivenVideoIsNarratedUnderItsFileName() {
        Path video = dir.resolve("lab.mp4");
        new WorldVideo(4, 6, 10, 64, 48).write(video);
        Cli.Result r = Cli.run("demo", "--model", model.toString(), "--video", video.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).doesNotContain("rendered").doesNotContain("truth:").contains("ingesting " + video + " as stream lab.mp4");
        // frames at 0..5 s: the window ending at 4 s closes at the frame at 4 s, the one ending at 8 s when the stream idles
        assertThat(captions(r)).extracting(p -> p.line().end()).containsExactly(4.0, 8.0);
    }

    @Test
    void badArgumentsFailBeforeAnythingStarts() {
        Cli.Result missing = Cli.run("demo", "--video", dir.resolve("nope.mp4").toString());
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.errLines()).singleElement().asString().contains("video source not found");
        assertThat(missing.out()).isEmpty();
        Cli.Result seconds = Cli.run("demo", "--seconds", "0");
        assertThat(seconds.exitCode()).isEqualTo(1);
        assertThat(seconds.errLines()).singleElement().asString().contains("--seconds must be in [1, 3600]");
        Cli.Result notANumber = Cli.run("demo", "--seconds", "ten");
        assertThat(notANumber.exitCode()).isEqualTo(2);
        assertThat(notANumber.errLines()).singleElement().asString().contains("--seconds").contains("ten");
    }

    @Test
    void theBundledModelsCaptionsDescribeTheScenesOfTheDefaultDemo() {
        Cli.Result r = Cli.run("demo");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        Episode episode = new WorldVideo(7, 24, DemoCommand.FPS, DemoCommand.WIDTH, DemoCommand.HEIGHT).episode();
        List<Printed> printed = captions(r);
        // frames at 0..23 s: windows end at 4, 8, ..., 20 s, and the last (ending at 24 s) is flushed when the stream idles
        assertThat(printed).hasSize(6);
        int judged = 0;
        for (Printed p : printed) {
            long from = Math.round(Math.max(0, p.line().start()) * 1e6);
            long to = Math.round(Math.min(24, p.line().end()) * 1e6);
            Optional<Scene> scene = episode.truth(from, to);
            if (scene.isEmpty()) continue; // a window across a scene change has no single right answer
            judged++;
            ParsedCaption parsed = CaptionParser.parse(p.line().text());
            assertThat(parsed.isCorrect(Task.CAPTION, scene.get()))
                    .as("shape, colour, count and event of '%s' for '%s' (window %s)", p.line().text(), CaptionGrammar.canonical(scene.get(), Task.CAPTION), p.line()).isTrue();
        }
        assertThat(judged).as("windows inside one scene: [0,4), [0,8), [8,16), [16,24)").isEqualTo(4);
    }
}
