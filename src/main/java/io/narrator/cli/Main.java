package io.narrator.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code narrator} command: entry point of every user-facing action. */
@Command(
        name = "narrator",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Turns live video on Kafka into text with a Flamingo visual language model.",
        subcommands = {TrainCommand.class, EvalCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--verbose", description = "Show stack traces and debug logs.", scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    /** Runs the CLI and exits with the command's exit code. */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI without exiting, for tests and embedding; returns the exit code. */
    public static int execute(String... args) {
        ProcessSetup.configure();
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new Errors());
        cl.setParameterExceptionHandler(new Errors());
        return cl.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static boolean verbose(CommandLine cl) {
        Object root = cl;
        while (cl.getParent() != null) cl = cl.getParent();
        return cl.getCommand() instanceof Main m && m.verbose;
    }
}
