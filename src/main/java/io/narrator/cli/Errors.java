package io.narrator.cli;

import picocli.CommandLine;

/** Turns failures into one clear line on stderr and a non-zero exit; stack traces only with {@code --verbose}. */
final class Errors implements CommandLine.IExecutionExceptionHandler, CommandLine.IParameterExceptionHandler {
    /** Exit code for a failed command. */
    static final int FAILED = 1;
    /** Exit code for a command line that cannot be understood. */
    static final int USAGE = 2;

    @Override
    public int handleExecutionException(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        return report(e, cl);
    }

    /**
     * Prints {@code narrator: error: } and what went wrong in one line — an exception's message, an {@link Error}'s
     * class and message — with the stack trace after it under {@code --verbose}; returns {@link #FAILED}.
     */
    static int report(Throwable e, CommandLine cl) {
        boolean noMessage = e.getMessage() == null || e.getMessage().isBlank();
        String message = e instanceof Error ? e.getClass().getName() + (noMessage ? "" : ": " + e.getMessage())
                : noMessage ? e.getClass().getSimpleName() : e.getMessage();
        cl.getErr().println("narrator: error: " + message);
        if (Main.verbose(cl)) e.printStackTrace(cl.getErr());
        return FAILED;
    }

    @Override
    public int handleParseException(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        cl.getErr().println("narrator: " + e.getMessage() + " (see '" + cl.getCommandSpec().qualifiedName() + " --help')");
        return USAGE;
    }
}
