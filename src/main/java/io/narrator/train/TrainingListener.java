package io.narrator.train;

/** Hears how training goes (the CLI shows a progress bar; tests record losses). */
public interface TrainingListener {
    /** A stage starts (or resumes at {@code firstStep}) and will run to {@code totalSteps}. */
    default void started(String stage, int firstStep, int totalSteps) {}

    /** A step finished. */
    default void step(String stage, int step, float loss) {}

    /** Something worth telling the user (a phase within a stage, a checkpoint written). */
    default void message(String stage, String text) {}

    /** The stage is done. */
    default void finished(String stage) {}

    TrainingListener NONE = new TrainingListener() {};
}
