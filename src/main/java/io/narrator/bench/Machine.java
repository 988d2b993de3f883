package io.narrator.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The machine a benchmark ran on, for its report: processors, CPU model and memory (from {@code /proc} on
 * Linux, "unknown" elsewhere), the JVM, and the system load average when it started (figures taken with a
 * load above the core count are not comparable).
 */
public record Machine(int cores, String cpuModel, double memoryGb, String os, String java, double loadAverage) {

    /** This machine, now. */
    public static Machine current() {
        return new Machine(Runtime.getRuntime().availableProcessors(), readCpuModel(), readMemoryGb(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"), currentLoadAverage());
    }

    /** The one-minute system load average, or -1 where the OS does not report it. */
    public static double currentLoadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** A one-line description for printed reports. */
    public String describe() {
        return String.format(Locale.ROOT, "%d cores (%s), %.1f GB RAM, %s, load average %.2f at start", cores, cpuModel, memoryGb, java, loadAverage);
    }

    private static String readCpuModel() {
        for (String line : lines(Path.of("/proc/cpuinfo")))
            if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).strip();
        return "unknown";
    }

    private static double readMemoryGb() {
        for (String line : lines(Path.of("/proc/meminfo")))
            if (line.startsWith("MemTotal:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / (1024.0 * 1024.0);
        return -1;
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}
