package io.narrator.cli;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Process-wide settings every command needs before DJL or JavaCV load: offline models, one native platform, idle OpenMP threads that sleep. */
final class ProcessSetup {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessSetup.class);

    private ProcessSetup() {}

    static void configure() {
        passiveOpenMp();
        // Nothing may be downloaded at run time (DJL uses the PyTorch natives from the classpath); tensor memory is reused.
        io.narrator.model.DjlSetup.configure();
        System.setProperty("javacpp.platform", System.getProperty("javacpp.platform", "linux-x86_64"));
    }

    /**
     * Sets {@code OMP_WAIT_POLICY=PASSIVE} (unless the user set it) before PyTorch's OpenMP runtime loads. By default
     * OpenMP worker threads spin between parallel regions; when the cores are shared with other busy processes the
     * spinning threads and the thread that waits for them starve each other — measured here with two cores under load,
     * model calls from the thread that started PyTorch ran 20–60× slower. Sleeping workers cost little when the cores
     * are free and remove that cliff.
     */
    private static void passiveOpenMp() {
        if (System.getenv("OMP_WAIT_POLICY") != null) return;
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) return;
        try {
            Function setenv = NativeLibrary.getInstance("c").getFunction("setenv");
            setenv.invokeInt(new Object[] {"OMP_WAIT_POLICY", "PASSIVE", 0});
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            LOG.debug("OMP_WAIT_POLICY not set: {}", e.toString());
        }
    }
}
