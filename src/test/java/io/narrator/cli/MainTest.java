package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
    static final List<String> COMMANDS = List.of("demo", "run", "ingest", "tail", "web", "prompt", "alert", "caption", "broker", "model", "score", "generate");

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
            if (!List.of("model", "prompt", "alert").contains(command)) assertThat(own.out()).as(command).contains("Examples:");
        }
        for (String sub : List.of("set", "get", "clear")) assertThat(Cli.run("prompt", sub, "--help").out()).contains("Examples:");
        for (String sub : List.of("set", "get", "clear", "tail")) assertThat(Cli.run("alert", sub, "--help").out()).contains("Examples:");
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

    /** A command that fails with an {@link Error}, as a native library that cannot be linked does. */
    @CommandLine.Command(name = "link")
    static final class Unlinkable implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new UnsatisfiedLinkError("no torch in java.library.path");
        }
    }

    @Test
    void anErrorIsOneLineAndExitCodeOneToo() {
        for (boolean verbose : new boolean[] {false, true}) {
            CommandLine cl = Main.commandLine().addSubcommand(new Unlinkable());
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = verbose ? Main.execute(cl, new PrintWriter(out, true), new PrintWriter(err, true), "--verbose", "link")
                    : Main.execute(cl, new PrintWriter(out, true), new PrintWriter(err, true), "link");
            assertThat(code).isEqualTo(1);
            Cli.Result r = new Cli.Result(code, out.toString(), err.toString());
            if (verbose) {
                assertThat(r.errLines().get(0)).isEqualTo("narrator: error: java.lang.UnsatisfiedLinkError: no torch in java.library.path");
                assertThat(r.err()).contains("\tat io.narrator.cli.MainTest$Unlinkable.call");
            } else {
                assertThat(r.errLines()).containsExactly("narrator: error: java.lang.UnsatisfiedLinkError: no torch in java.library.path");
            }
        }
    }
}
