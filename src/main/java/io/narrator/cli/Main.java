package io.narrator.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.io.PrintWriter;
import java.util.List;
import java.util.Set;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code narrator} command: entry point of every user-facing action. */
@Command(
        name = "narrator",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Turns live video on Kafka into text with a Flamingo visual language model.",
        subcommands = {
            DemoCommand.class,
            RunCommand.class,
            IngestCommand.class,
            TailCommand.class,
            WebCommand.class,
            PromptCommand.class,
            AlertCommand.class,
            CaptionCommand.class,
            BrokerCommand.class,
            ModelCommand.class,
            ScoreCommand.class,
            GenerateCommand.class,
            TrainCommand.class,
            EvalCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class
        },
        footer = {"", "Start with:",
                "  narrator demo               narrate a synthetic clip end to end",
                "  narrator caption clip.mp4   narrate a video file without Kafka",
                "  narrator web                watch every stream's frames and captions in a browser",
                "  narrator COMMAND --help     options and examples of a command"})
public final class Main implements Runnable {
    /** Commands that run as services and log their progress at INFO. */
    private static final Set<String> SERVICES = Set.of("narrator", "run", "web", "broker", "train", "bench");

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--verbose", description = "Show stack traces and debug logs.", scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    /** Runs the CLI and exits with the command's exit code. */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI without exiting, for tests and embedding; returns the exit code. */
    public static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the CLI with its output and errors going to the given writers; returns the exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        return execute(commandLine(), out, err, args);
    }

    /** Like {@link #execute(PrintWriter, PrintWriter, String...)}, with the commands made by {@code factory}. */
    static int execute(PrintWriter out, PrintWriter err, CommandLine.IFactory factory, String... args) {
        return execute(commandLine(factory), out, err, args);
    }

    /**
     * Runs a command tree: anything it throws, an {@link Error} included, is one line on {@code err} (the stack trace
     * with {@code --verbose}) and exit code {@link Errors#FAILED}.
     */
    static int execute(CommandLine cl, PrintWriter out, PrintWriter err, String... args) {
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler(new Errors());
        cl.setParameterExceptionHandler(new Errors());
        cl.setExecutionStrategy(parsed -> {
            ProcessSetup.configure();
            List<CommandLine> chain = parsed.asCommandLineList();
            String leaf = chain.get(chain.size() - 1).getCommandName();
            if (verbose(cl)) logLevel(Level.DEBUG);
            else if (System.getProperty("narrator.log.level") == null) logLevel(SERVICES.contains(leaf) ? Level.INFO : Level.WARN);
            return new CommandLine.RunLast().execute(parsed);
        });
        try {
            return cl.execute(args);
        } catch (Throwable e) { // picocli hands only exceptions to Errors: an Error (out of memory, a native library) ends up here
            return Errors.report(e, cl);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** The command tree with Narrator's parsing and help settings (also what docs/cli.md is generated from). */
    static CommandLine commandLine() {
        return commandLine(CommandLine.defaultFactory());
    }

    private static CommandLine commandLine(CommandLine.IFactory factory) {
        CommandLine cl = new CommandLine(new Main(), factory);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpWidth(100);
        cl.setUsageHelpAutoWidth(true);
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static boolean verbose(CommandLine cl) {
        while (cl.getParent() != null) cl = cl.getParent();
        return cl.getCommand() instanceof Main m && m.verbose;
    }

    /** Hides a logger's warnings for the rest of this run (a command that knows they do not apply to it). */
    static void quiet(String logger) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback && !logback.getLogger("io.narrator").isDebugEnabled())
            logback.getLogger(logger).setLevel(Level.ERROR);
    }

    /**
     * Narrator's log level: DEBUG (and Kafka's connection warnings, and DJL's native library loading) with
     * {@code --verbose}; otherwise INFO for the long-running services and WARN for commands whose output is what the
     * user asked for.
     */
    private static void logLevel(Level level) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
            logback.getLogger("io.narrator").setLevel(level);
            logback.getLogger("org.apache.kafka.clients.NetworkClient").setLevel(level == Level.DEBUG ? Level.WARN : Level.ERROR);
            // DJL logs a native library it cannot load with a stack trace; NativeLibraries says it in one line instead
            for (String djl : List.of("ai.djl.huggingface.tokenizers.jni.LibUtils", "ai.djl.pytorch.jni.LibUtils"))
                logback.getLogger(djl).setLevel(level == Level.DEBUG ? Level.DEBUG : Level.OFF);
        }
    }
}
