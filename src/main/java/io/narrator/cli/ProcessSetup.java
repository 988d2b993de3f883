package io.narrator.cli;

/**
 * Process-wide settings every command needs before DJL or JavaCV load: offline models, sleeping OpenMP
 * workers and reused tensor memory (see {@link io.narrator.model.DjlSetup}), one native platform.
 */
final class ProcessSetup {
    private ProcessSetup() {}

    static void configure() {
        io.narrator.model.DjlSetup.configure();
        System.setProperty("javacpp.platform", System.getProperty("javacpp.platform", "linux-x86_64"));
    }
}
