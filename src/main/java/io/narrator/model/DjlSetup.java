package io.narrator.model;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settings the native engines must see before they run: nothing is ever downloaded at run time, OpenMP
 * worker threads sleep instead of spinning between parallel regions, and glibc keeps freed tensor memory
 * for reuse.
 *
 * <p>Spinning OpenMP workers starve the thread that waits for them whenever the cores are shared with other
 * busy threads (Kafka, JPEG decoding, other processes); measured on two busy cores, model calls ran 20–60×
 * slower, and training 1.6× slower. {@code OMP_WAIT_POLICY=PASSIVE} is set in the process environment before
 * PyTorch's OpenMP runtime reads it, unless the user chose a policy.
 *
 * <p>By default glibc returns every allocation above a few MB to the
 * kernel when it is freed, so each new activation tensor is page-faulted in again — measured here, that
 * makes element-wise ops ~10× and matrix products ~3× slower. Raising the mmap and trim thresholds with
 * {@code mallopt} at start-up removes that cost without the user setting any environment variable.
 */
public final class DjlSetup {
    private static final Logger LOG = LoggerFactory.getLogger(DjlSetup.class);
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;
    /** glibc's largest allowed mmap threshold on 64-bit (32 MiB): smaller blocks come from reusable heap memory. */
    private static final int MMAP_THRESHOLD = 32 << 20;
    private static volatile boolean configured;

    private DjlSetup() {}

    /**
     * For running the model (the streaming application and the model commands), before it loads: one PyTorch thread
     * per op (intra-op and inter-op), unless the user set {@code ai.djl.pytorch.num_threads} /
     * {@code ai.djl.pytorch.num_interop_threads}. The ops of a small model are small: split over OpenMP workers, each
     * op paid more in waking them than it gained (a batch-1 generation of the bundled model took about half as long again on
     * two threads per op as on one), and in the streaming application, which makes several model calls at once
     * (stream threads, {@code narration.threads}), the workers competed with the calling threads for the cores.
     * Training keeps PyTorch's default (one thread per core): its batches are large and nothing runs beside them.
     */
    public static void configureForServing() {
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) System.setProperty("ai.djl.pytorch.num_threads", "1");
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        configure();
    }

    /**
     * Sets how many threads PyTorch uses per op from now on, process-wide. The engine must have started (call it after
     * loading a model); unlike the {@code ai.djl.pytorch.num_threads} property it also applies when the engine started
     * earlier in the process.
     */
    public static void threadsPerOp(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads per op must be at least 1, got " + threads);
        ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
    }

    /**
     * Sets {@code ai.djl.offline=true} unless the user chose otherwise, makes OpenMP workers sleep and tunes the
     * allocator: process-wide changes, made once per process, at start-up ({@code narrator}'s entry point) or, in a
     * process that did not start there, just before the native engines first load ({@link NativeLibraries}). Later calls
     * do nothing.
     */
    public static synchronized void configure() {
        if (configured) return;
        configured = true;
        if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) return;
        if (System.getenv("OMP_WAIT_POLICY") == null) {
            try {
                NativeLibrary.getInstance("c").getFunction("setenv").invokeInt(new Object[] {"OMP_WAIT_POLICY", "PASSIVE", 0});
            } catch (LinkageError | RuntimeException e) { // JNA's own native library may not load either
                LOG.debug("OMP_WAIT_POLICY not set: {}", e.toString());
            }
        }
        if ("false".equals(System.getProperty("narrator.malloc.tune"))) return;
        try {
            Function mallopt = NativeLibrary.getInstance("c").getFunction("mallopt");
            int a = mallopt.invokeInt(new Object[] {M_MMAP_THRESHOLD, MMAP_THRESHOLD});
            int b = mallopt.invokeInt(new Object[] {M_TRIM_THRESHOLD, Integer.MAX_VALUE});
            LOG.debug("mallopt mmap threshold {} → {}, trim threshold → {}", MMAP_THRESHOLD, a, b);
        } catch (LinkageError | RuntimeException e) {
            LOG.debug("allocator not tuned (not glibc?): {}", e.toString());
        }
    }
}
