package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

import org.junit.jupiter.api.Test;

/** docs/cli.md is every command's {@code --help}, generated from the commands themselves; this keeps the two in step. */
class CliReferenceTest {
    static final Path DOC = Path.of("docs", "cli.md");

    static String expected() {
        StringBuilder md = new StringBuilder("# CLI reference\n\n"
                + "Every command's `--help`, generated from the commands (regenerate with\n"
                + "`mvn test -Dtest=CliReferenceTest -Dnarrator.regenerate.docs=true`). Run them as `java -jar target/narrator.jar ...`\n"
                + "or `bin/narrator ...`. Errors are one line on stderr and exit code 1 (2 for a command line that cannot be\n"
                + "understood); `--verbose` adds stack traces and debug logs.\n");
        append(md, Main.commandLine());
        return md.toString();
    }

    private static void append(StringBuilder md, CommandLine cl) {
        if (cl.getCommandName().equals("help")) return;
        md.append("\n## ").append(cl.getCommandSpec().qualifiedName()).append("\n\n```\n")
                .append(cl.getUsageMessage(CommandLine.Help.Ansi.OFF).stripTrailing()).append("\n```\n");
        cl.getSubcommands().values().forEach(sub -> append(md, sub));
    }

    @Test
    void theReferenceMatchesTheCommands() throws Exception {
        if (Boolean.getBoolean("narrator.regenerate.docs")) Files.writeString(DOC, expected());
        assertThat(Files.readString(DOC)).isEqualTo(expected());
    }
}
