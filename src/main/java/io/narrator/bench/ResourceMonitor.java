package io.narrator.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples this process on its own thread every {@code periodMillis}: CPU used since the previous sample (in
 * cores, from {@code OperatingSystemMXBean#getProcessCpuTime}, so native PyTorch threads count), heap in use
 * ({@code MemoryMXBean}), resident memory ({@code /proc/self/status}, Linux only) and a probe given by the
 * caller (the application's backlog of unprocessed frames).
 */
final class ResourceMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ResourceMonitor.class);
    /** Name of the monitor's thread. */
    static final String THREAD = "bench-monitor";

    /** One sample; {@code rssBytes} is -1 where {@code /proc} is missing, {@code backlogFrames} -1 when the probe failed. */
    record Sample(long atMillis, double cpuCores, long heapUsedBytes, long rssBytes, long backlogFrames) {}

    private final com.sun.management.OperatingSystemMXBean os;
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final LongSupplier backlog;
    private final long periodMillis;
    private final List<Sample> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long markAtMillis = Long.MAX_VALUE;
    private volatile Mark mark;

    /** CPU counters at one moment: process CPU, CPU per thread group ({@link ThreadCpu}), and {@code System.nanoTime()}. */
    record Mark(long processCpuNanos, java.util.Map<String, Long> threads, long wallNanos) {}

    ResourceMonitor(long periodMillis, LongSupplier backlogFrames) {
        if (!(ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean bean))
            throw new IllegalStateException("this JVM does not report process CPU time (needs com.sun.management.OperatingSystemMXBean)");
        this.os = bean;
        this.periodMillis = periodMillis;
        this.backlog = backlogFrames;
        thread = new Thread(this::run, THREAD);
        thread.setDaemon(true);
        thread.start();
    }

    /** Process CPU time so far, in nanoseconds. */
    long processCpuNanos() {
        return os.getProcessCpuTime();
    }

    /** The CPU counters now. */
    Mark markNow() {
        return new Mark(os.getProcessCpuTime(), ThreadCpu.snapshot(), System.nanoTime());
    }

    /** Takes a {@link #mark()} at the first sample at or after {@code atMillis} (wall clock), once. */
    void markAt(long atMillis) {
        markAtMillis = atMillis;
    }

    /** The counters taken at the time given to {@link #markAt}, or null if that time has not come yet. */
    Mark mark() {
        return mark;
    }

    private void run() {
        long lastCpu = os.getProcessCpuTime();
        long lastNanos = System.nanoTime();
        while (running) {
            try {
                Thread.sleep(periodMillis);
            } catch (InterruptedException e) {
                return;
            }
            long cpu = os.getProcessCpuTime();
            long now = System.nanoTime();
            double cores = (double) (cpu - lastCpu) / Math.max(1, now - lastNanos);
            lastCpu = cpu;
            lastNanos = now;
            long wall = System.currentTimeMillis();
            if (mark == null && wall >= markAtMillis) mark = markNow();
            Sample s = new Sample(wall, cores, memory.getHeapMemoryUsage().getUsed(), rss(), probe(backlog));
            synchronized (samples) {
                samples.add(s);
            }
        }
    }

    private long probe(LongSupplier probe) {
        try {
            return probe.getAsLong();
        } catch (RuntimeException e) {
            LOG.debug("probe failed: {}", e.toString());
            return -1;
        }
    }

    /** Resident set size of this process in bytes, or -1 when {@code /proc/self/status} cannot be read. */
    static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** The samples taken so far. */
    List<Sample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5_000);
    }
}
