package io.narrator.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time of this JVM's threads, grouped by what they do (the narration engine, Kafka Streams' stream
 * threads, the benchmark's own load generator, caption reader and monitor, and the rest: the embedded
 * broker and other JVM threads). Threads PyTorch starts natively are not JVM threads: their time is the
 * process total minus these groups.
 */
final class ThreadCpu {
    /** The groups, in reporting order. */
    static final String ENGINE = "narration engine";
    static final String STREAMS = "stream threads";
    static final String LOAD = "load generator";
    static final String BENCH = "caption reader and monitor";
    static final String OTHER = "broker and other JVM threads";

    private ThreadCpu() {}

    /** CPU nanoseconds per group, now. */
    static Map<String, Long> snapshot() {
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        Map<String, Long> out = new LinkedHashMap<>();
        for (String g : new String[] {ENGINE, STREAMS, LOAD, BENCH, OTHER}) out.put(g, 0L);
        if (!bean.isThreadCpuTimeSupported()) return out;
        if (!bean.isThreadCpuTimeEnabled()) bean.setThreadCpuTimeEnabled(true);
        long[] ids = bean.getAllThreadIds();
        ThreadInfo[] infos = bean.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            if (infos[i] == null) continue;
            long cpu = bean.getThreadCpuTime(ids[i]);
            if (cpu < 0) continue;
            out.merge(group(infos[i].getThreadName()), cpu, Long::sum);
        }
        return out;
    }

    static String group(String thread) {
        if (thread.startsWith("narrator-engine")) return ENGINE;
        if (thread.contains("StreamThread")) return STREAMS;
        if (thread.equals(FrameSender.THREAD) || thread.endsWith("| " + FrameSender.THREAD)) return LOAD;
        if (thread.equals(CaptionCollector.THREAD) || thread.endsWith("| " + CaptionCollector.THREAD) || thread.equals(ResourceMonitor.THREAD))
            return BENCH;
        return OTHER;
    }

    /** {@code after - before}, per group. */
    static Map<String, Long> minus(Map<String, Long> after, Map<String, Long> before) {
        Map<String, Long> out = new LinkedHashMap<>();
        after.forEach((k, v) -> out.put(k, v - before.getOrDefault(k, 0L)));
        return out;
    }
}
