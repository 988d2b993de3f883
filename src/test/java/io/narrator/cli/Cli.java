package io.narrator.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;

/** Runs the real {@code narrator} CLI in this JVM through {@link Main#execute} and captures what it prints. */
final class Cli {
    private Cli() {}

    /** A finished command: exit code, standard output and standard error. */
    record Result(int exitCode, String out, String err) {
        /** Standard output's lines, blank ones included (without the empty string after the final newline). */
        List<String> outLines() {
            if (out.isEmpty()) return List.of();
            List<String> lines = Arrays.asList(out.split("\\R", -1));
            return lines.get(lines.size() - 1).isEmpty() ? lines.subList(0, lines.size() - 1) : lines;
        }

        List<String> errLines() {
            return err.isBlank() ? List.of() : Arrays.stream(err.split("\\R")).filter(l -> !l.isBlank()).toList();
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    /** A command factory that hands out {@code commands} for their own classes and makes the others as picocli does. */
    static CommandLine.IFactory with(Object... commands) {
        return new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                for (Object c : commands) if (type == c.getClass()) return type.cast(c);
                return CommandLine.defaultFactory().create(type);
            }
        };
    }

    /** A command running on its own thread (run, broker, tail), with its output readable while it runs. */
    static final class Running {
        private final StringWriter out = new StringWriter();
        private final StringWriter err = new StringWriter();
        private final Thread thread;
        private volatile int exitCode = -1;

        Running(String... args) {
            this(CommandLine.defaultFactory(), args);
        }

        /** A command whose (sub)commands {@code factory} makes, e.g. {@link #with}. */
        Running(CommandLine.IFactory factory, String... args) {
            thread = new Thread(() -> exitCode = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), factory, args), "cli-" + args[0]);
            thread.start();
        }

        String out() {
            return out.toString();
        }

        /** Waits until stdout contains {@code text}; fails with the output so far when the command ends first or after two minutes. */
        void awaitOutput(String text) throws InterruptedException {
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (!out.toString().contains(text)) {
                if (!thread.isAlive() || System.nanoTime() > deadline)
                    throw new AssertionError("no '" + text + "' in the output of " + thread.getName() + ":\n" + out + "\n" + err);
                Thread.sleep(100);
            }
        }

        /** Stops the command as a test can (an interrupt counts as Ctrl-C) and waits for it to finish. */
        Result stop() throws InterruptedException {
            thread.interrupt();
            thread.join(120_000);
            if (thread.isAlive()) throw new AssertionError(thread.getName() + " did not stop:\n" + out + "\n" + err);
            return new Result(exitCode, out.toString(), err.toString());
        }
    }
}
