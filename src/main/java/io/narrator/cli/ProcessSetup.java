package io.narrator.cli;

/** Process-wide settings every command needs before DJL or JavaCV load: offline models, one native platform. */
final class ProcessSetup {
    private ProcessSetup() {}

    static void configure() {
        // Nothing may be downloaded at run time (DJL uses the PyTorch natives from the classpath); tensor memory is reused.
        io.narrator.model.DjlSetup.configure();
        System.setProperty("javacpp.platform", System.getProperty("javacpp.platform", "linux-x86_64"));
    }
}
