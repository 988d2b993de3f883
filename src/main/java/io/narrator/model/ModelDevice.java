package io.narrator.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.Enumeration;
import java.util.Locale;
import java.util.Properties;

/**
 * Where a model runs, as a user names it ({@code --device}, {@code model.device}): {@code cpu}, {@code gpu} (the first
 * CUDA GPU), {@code gpu:N}, or {@code auto} (the first GPU PyTorch sees, else the CPU). {@link #resolve()} turns it into
 * the engine's {@link Device}, refusing a GPU that PyTorch cannot see with what to do about it.
 *
 * @param kind cpu, gpu or auto
 * @param gpu the GPU's index for {@link Kind#GPU}, else -1
 */
public record ModelDevice(Kind kind, int gpu) {
    /** The choices, as written in a command line or a properties file. */
    public enum Kind {
        CPU, GPU, AUTO
    }

    /** What a device may be named, for messages and help. */
    public static final String NAMES = "cpu, gpu, gpu:N or auto";

    public static final ModelDevice CPU = new ModelDevice(Kind.CPU, -1);
    public static final ModelDevice AUTO = new ModelDevice(Kind.AUTO, -1);

    public ModelDevice {
        if (kind == null) throw new IllegalArgumentException("device kind must not be null");
        if (kind == Kind.GPU && gpu < 0) throw new IllegalArgumentException("a GPU's index must be 0 or more, got " + gpu);
        if (kind != Kind.GPU && gpu != -1) throw new IllegalArgumentException(kind + " takes no GPU index, got " + gpu);
    }

    /** GPU number {@code index} ({@code gpu:N}; {@code gpu} is number 0). */
    public static ModelDevice gpu(int index) {
        return new ModelDevice(Kind.GPU, index);
    }

    /** {@code cpu}, {@code gpu}, {@code gpu:N} or {@code auto}, any case, surrounding blanks ignored. */
    public static ModelDevice parse(String name) {
        String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        switch (n) {
            case "cpu":
                return CPU;
            case "gpu":
                return gpu(0);
            case "auto":
                return AUTO;
            default:
                if (n.startsWith("gpu:")) {
                    String index = n.substring(4);
                    if (!index.isEmpty() && index.chars().allMatch(Character::isDigit) && index.length() <= 4) return gpu(Integer.parseInt(index));
                }
                throw new IllegalArgumentException("device must be " + NAMES + ", got '" + name + "'");
        }
    }

    /** The engine's device for this choice, given the GPUs PyTorch sees now ({@link #visibleGpus()}). */
    public Device resolve() {
        return resolve(visibleGpus());
    }

    /**
     * The engine's device for this choice when PyTorch sees {@code visibleGpus} CUDA GPUs: {@code auto} takes the first of
     * them, or the CPU when there are none.
     *
     * @throws IllegalArgumentException naming what to do when the GPU asked for is not visible
     */
    public Device resolve(int visibleGpus) {
        return switch (kind) {
            case CPU -> Device.cpu();
            case AUTO -> visibleGpus > 0 ? Device.gpu(0) : Device.cpu();
            case GPU -> {
                if (visibleGpus == 0) throw new IllegalArgumentException(noGpu());
                if (gpu >= visibleGpus)
                    throw new IllegalArgumentException("GPU " + gpu + " is not visible to PyTorch: it sees " + visibleGpus + " GPU"
                            + (visibleGpus == 1 ? " (gpu:0)" : "s (gpu:0 to gpu:" + (visibleGpus - 1) + ")") + "; check CUDA_VISIBLE_DEVICES and nvidia-smi");
                yield Device.gpu(gpu);
            }
        };
    }

    /**
     * CUDA GPUs PyTorch sees: 0 with the CPU natives, or when no NVIDIA driver is loaded. Loads PyTorch's natives (a
     * failure is one line saying what to do, see {@link NativeLibraries}).
     */
    public static int visibleGpus() {
        NativeLibraries.requirePyTorch();
        return Engine.getEngine("PyTorch").getGpuCount();
    }

    /**
     * Whether PyTorch's natives are a CUDA build (the {@code -Pcuda} build), whether or not a GPU is present: CUDA among
     * the engine's capabilities (which PyTorch reports only where a GPU and its driver are found), else the flavor of the
     * natives ({@code PYTORCH_FLAVOR} with natives from {@code PYTORCH_LIBRARY_PATH}, else the packaged natives'
     * {@code native/lib/pytorch.properties}: {@code cu124} or {@code cpu}). Starts the engine.
     */
    public static boolean cudaBuild() {
        NativeLibraries.requirePyTorch();
        if (Engine.getEngine("PyTorch").hasCapability("CUDA")) return true;
        String given = System.getenv("PYTORCH_FLAVOR"); // natives from PYTORCH_LIBRARY_PATH say what they are here
        if (given != null && !given.isBlank()) return given.strip().startsWith("cu");
        try {
            Enumeration<URL> files = ModelDevice.class.getClassLoader().getResources("native/lib/pytorch.properties");
            while (files.hasMoreElements()) {
                Properties p = new Properties();
                try (InputStream in = files.nextElement().openStream()) {
                    p.load(in);
                }
                if (p.getProperty("flavor", "").startsWith("cu")) return true;
            }
        } catch (IOException e) {
            return false; // no readable description of the natives: a CPU build
        }
        return false;
    }

    /** Why no GPU can be used, and what to do: a CPU-only build, or a CUDA build that sees no GPU. */
    private static String noGpu() {
        if (!cudaBuild())
            return "no CUDA GPU is visible to PyTorch: this build has PyTorch's CPU natives; build with `mvn -Pcuda package` "
                    + "and check the NVIDIA driver (nvidia-smi)";
        return "no CUDA GPU is visible to PyTorch (the CUDA build is in use): check the NVIDIA driver (nvidia-smi) and CUDA_VISIBLE_DEVICES";
    }

    /** The name this choice is written with: {@code cpu}, {@code gpu:N} or {@code auto}. */
    @Override
    public String toString() {
        return switch (kind) {
            case CPU -> "cpu";
            case AUTO -> "auto";
            case GPU -> "gpu:" + gpu;
        };
    }

    /** How a resolved engine device is written: {@code cpu} or {@code gpu:N}. */
    public static String describe(Device device) {
        return device.isGpu() ? "gpu:" + device.getDeviceId() : "cpu";
    }
}
