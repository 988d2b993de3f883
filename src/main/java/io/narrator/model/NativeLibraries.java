package io.narrator.model;

import ai.djl.engine.Engine;
import ai.djl.util.Utils;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The two native libraries the model needs — PyTorch's and the Hugging Face tokenizers' — loaded on purpose, so that a
 * failure to load one is one line saying what to do instead of a stack trace (or a complaint about a file that is
 * fine). DJL unpacks both from the jars on the classpath into its cache directory on first use: an unwritable cache
 * directory and a platform whose natives are not packaged (Narrator packages Linux x86_64) are the usual causes.
 */
public final class NativeLibraries {
    /** The platform whose natives Narrator packages. */
    static final String PACKAGED = "linux-x86_64";

    private NativeLibraries() {}

    /**
     * Loads PyTorch's native library (once per process; DJL keeps it).
     *
     * @throws IllegalStateException in one line naming the cause and what to do
     */
    public static void requirePyTorch() {
        DjlSetup.configure();
        try {
            Engine.getEngine("PyTorch");
        } catch (RuntimeException | LinkageError e) {
            throw explain("PyTorch", "pytorch-native-cpu", Utils.getEngineCacheDir("pytorch"), e);
        }
    }

    /**
     * Loads the Hugging Face tokenizers' native library (once per process).
     *
     * @throws IllegalStateException in one line naming the cause and what to do
     */
    public static void requireTokenizers() {
        DjlSetup.configure();
        try {
            ai.djl.huggingface.tokenizers.jni.LibUtils.checkStatus();
        } catch (RuntimeException | LinkageError e) {
            throw explain("the Hugging Face tokenizers", "ai.djl.huggingface:tokenizers", Utils.getEngineCacheDir("tokenizers"), e);
        }
    }

    /**
     * What a failure to load {@code library} means, in one line: the platform is not the packaged one, the cache
     * directory cannot be written (in the failure's causes, or found so now: DJL logs some such failures and goes on),
     * or the library cannot be linked; the root cause's own words are in it too.
     */
    static IllegalStateException explain(String library, String artifact, Path cacheDir, Throwable failure) {
        Throwable root = failure;
        FileSystemException fileProblem = null;
        while (true) {
            if (root instanceof FileSystemException f && fileProblem == null) fileProblem = f;
            if (root.getCause() == null || root.getCause() == root) break;
            root = root.getCause();
        }
        String platform = platform();
        String because = describe(root);
        String cacheProblem = fileProblem != null ? describe(fileProblem) : unwritable(cacheDir);
        String message;
        if (!platform.equals(PACKAGED))
            message = "the native library of " + library + " is not packaged for " + platform + ": Narrator packages the " + PACKAGED
                    + " natives (" + artifact + "); run it on Linux x86_64, or put the natives for " + platform + " on the classpath (" + because + ")";
        else if (cacheProblem != null)
            message = "cannot unpack the native library of " + library + " into DJL's cache directory " + cacheDir + " (" + cacheProblem
                    + "): make it writable, or set the environment variable DJL_CACHE_DIR to a writable directory";
        else if (root instanceof LinkageError)
            message = "the native library of " + library + " cannot be linked (" + because + "): the system lacks a library it needs, or another "
                    + "version unpacked it into " + cacheDir + " (delete that directory and try again)";
        else
            message = "cannot load the native library of " + library + " (" + because + "); run with --verbose for the details";
        return new IllegalStateException(message, failure);
    }

    /** Why {@code dir} cannot hold unpacked libraries (it cannot be created, or written), or null if it can. */
    static String unwritable(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            return describe(e);
        }
        return Files.isWritable(dir) ? null : dir + " is not writable";
    }

    /** DJL's name for this machine's platform, e.g. {@code linux-x86_64}. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String osName = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "osx" : os.startsWith("win") ? "win" : os.replace(' ', '-');
        String archName = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch.equals("aarch64") || arch.equals("arm64") ? "aarch64" : arch;
        return osName + "-" + archName;
    }

    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null || e.getMessage().isBlank() ? "" : ": " + e.getMessage());
    }
}
