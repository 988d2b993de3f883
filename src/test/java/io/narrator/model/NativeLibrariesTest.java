package io.narrator.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A native library that cannot be loaded is one line saying what to do: {@code narrator model inspect bundled} in a JVM of
 * its own whose DJL cache directory cannot be created, or that claims another platform.
 */
class NativeLibrariesTest {
    /** Where nothing can be created, even by root. */
    private static final String NO_CACHE = "/proc/narrator-no-cache";

    private record Run(int exitCode, List<String> err) {}

    private static Run inspect(Map<String, String> env, String... jvmOptions) throws Exception {
        List<String> command = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java"));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), "io.narrator.cli.Main", "model", "inspect", "bundled"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), err.lines().filter(l -> !l.isBlank()).toList());
    }

    @Test
    void anUnwritableCacheDirectoryIsOneLineSayingSo() throws Exception {
        Run run = inspect(Map.of(), "-DDJL_CACHE_DIR=" + NO_CACHE);
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).containsExactly("narrator: error: cannot unpack the native library of PyTorch into DJL's cache directory " + NO_CACHE
                + "/pytorch (NoSuchFileException: " + NO_CACHE + "): make it writable, or set the environment variable DJL_CACHE_DIR to a writable directory");
    }

    @Test
    void theTokenizersNativeThatCannotBeUnpackedIsNotBlamedOnTokenizerJson() throws Exception {
        NativeLibraries.requirePyTorch(); // unpacked in this JVM's cache: the child loads PyTorch from there, and only the tokenizers fail
        String libtorch = ai.djl.pytorch.jni.LibUtils.getLibtorchPath();
        Run run = inspect(Map.of("PYTORCH_LIBRARY_PATH", libtorch), "-DDJL_CACHE_DIR=" + NO_CACHE);
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).containsExactly("narrator: error: cannot unpack the native library of the Hugging Face tokenizers into DJL's cache "
                + "directory " + NO_CACHE + "/tokenizers (NoSuchFileException: " + NO_CACHE + "): make it writable, or set the environment variable "
                + "DJL_CACHE_DIR to a writable directory");
    }

    @Test
    void anotherPlatformIsOneLineNamingThePackagedOne() throws Exception {
        Run run = inspect(Map.of(), "-Dos.arch=aarch64");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).singleElement().asString().startsWith("narrator: error: the native library of PyTorch is not packaged for linux-aarch64: "
                + "Narrator packages the linux-x86_64 natives (pytorch-native-cpu); run it on Linux x86_64");
    }

    @Test
    void aLibraryThatCannotBeLinkedSaysSo() {
        IllegalStateException e = NativeLibraries.explain("PyTorch", "pytorch-native-cpu", Path.of("/var/cache/djl/pytorch"),
                new RuntimeException("Failed to load PyTorch native library", new UnsatisfiedLinkError("libgomp.so.1: cannot open shared object file")));
        assertThat(e).hasMessage("the native library of PyTorch cannot be linked (UnsatisfiedLinkError: libgomp.so.1: cannot open shared object file): "
                + "the system lacks a library it needs, or another version unpacked it into /var/cache/djl/pytorch (delete that directory and try again)");
    }
}
