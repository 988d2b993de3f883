package io.narrator.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code narrator} command: entry point of every user-facing action. */
@Command(
        name = "narrator",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Turns live video on Kafka into text with a Flamingo visual language model.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** Runs the CLI and exits with the command's exit code. */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI without exiting, for tests and embedding; returns the exit code. */
    public static int execute(String... args) {
        ProcessSetup.configure();
        return new CommandLine(new Main()).execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
