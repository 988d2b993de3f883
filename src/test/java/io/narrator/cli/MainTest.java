package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MainTest {
    static final List<String> COMMANDS = List.of("demo", "run", "ingest", "tail", "prompt", "caption", "broker", "model", "score", "generate");

    @Test
    void versionNamesNarratorTheModelAndTheEngines() {
        Cli.Result r = Cli.run("--version");
        assertThat(r.exitCode()).isZero();
        assertThat(r.outLines()).hasSize(3);
        assertThat(r.outLines().get(0)).startsWith("narrator ");
        assertThat(r.outLines().get(1)).matches("model: narrator-tiny \\d+\\.\\d+\\.\\d+ \\(bundled\\)"); // the model is in the repository
        assertThat(r.outLines().get(2)).startsWith("engine: DJL 0.36.0 (PyTorch").contains("Kafka Streams 4.1.1").contains("JavaCV");
    }

    @Test
    void helpListsEveryCommandAndEachCommandHasExamples() {
        Cli.Result help = Cli.run("--help");
        assertThat(help.exitCode()).isZero();
        for (String command : COMMANDS) {
            assertThat(help.out()).containsPattern("(?m)^  " + command + " ");
            Cli.Result own = Cli.run(command, "--help");
            assertThat(own.exitCode()).as(command).isZero();
            assertThat(own.out()).as(command).contains("Usage: narrator " + command);
            if (!command.equals("model") && !command.equals("prompt")) assertThat(own.out()).as(command).contains("Examples:");
        }
        for (String sub : List.of("set", "get", "clear")) assertThat(Cli.run("prompt", sub, "--help").out()).contains("Examples:");
        assertThat(Cli.run("model", "inspect", "--help").out()).contains("Examples:");
    }

    @Test
    void anUnknownCommandOrFlagIsOneLineAndExitCodeTwo() {
        Cli.Result unknown = Cli.run("narrate");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.errLines()).singleElement().asString().startsWith("narrator: Unmatched argument").contains("'narrator --help'");
        Cli.Result flag = Cli.run("caption", "clip.mp4", "--speed", "2");
        assertThat(flag.exitCode()).isEqualTo(2);
        assertThat(flag.errLines()).singleElement().asString().contains("--speed").contains("'narrator caption --help'");
        assertThat(flag.out()).isEmpty();
    }

    @Test
    void badArgumentsAreRejectedBeforeAnythingStarts() {
        String[][] usage = {
            {"ingest", "clip.mp4", "--stream-id", "x", "--as", "mp4"},
            {"run", "--broker-port", "nine"},
            {"prompt", "set", "--example", "red.png", "a red circle"},
            {"tail", "--format", "html"},
            {"generate", "--media", "clip.mp4", "--beams"},
        };
        for (String[] args : usage) {
            Cli.Result r = Cli.run(args);
            assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.errLines()).as(String.join(" ", args)).singleElement().asString().startsWith("narrator: ");
        }
        String[][] failing = {{"tail", "--limit", "0"}, {"broker", "--port", "70000"}, {"caption", "clip.mp4", "--hop-seconds", "0"}};
        String[] messages = {"--limit must be at least 1", "--port must be in [0, 65535]", "video source not found"};
        for (int i = 0; i < failing.length; i++) {
            Cli.Result r = Cli.run(failing[i]);
            assertThat(r.exitCode()).as(String.join(" ", failing[i])).isEqualTo(1);
            assertThat(r.errLines()).singleElement().asString().startsWith("narrator: error: ").contains(messages[i]);
        }
    }

    @Test
    void aFailureIsOneLineWithoutAStackTraceUnlessVerbose() {
        Cli.Result quiet = Cli.run("caption", "no-such-video.mp4");
        assertThat(quiet.exitCode()).isEqualTo(1);
        assertThat(quiet.errLines()).containsExactly("narrator: error: video source not found: no file or folder at no-such-video.mp4");
        Cli.Result verbose = Cli.run("--verbose", "caption", "no-such-video.mp4");
        assertThat(verbose.exitCode()).isEqualTo(1);
        assertThat(verbose.err()).startsWith("narrator: error: video source not found").contains("\tat io.narrator.ingest.VideoSource.parse");
    }
}
