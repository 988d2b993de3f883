package io.narrator.stream;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmHeapPressureMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.Set;

/**
 * The Prometheus registry a narrator serves at {@code /metrics}, with the JVM's and the process's meters (Micrometer's
 * binders: memory, garbage collection and heap pressure, threads, classes, JIT compilation, CPU, open files, uptime)
 * bound. Times are in seconds: the binders' two meters in other units ({@code process.cpu.time} in nanoseconds,
 * {@code jvm.compilation.time} in milliseconds) are replaced by {@code process_cpu_seconds_total} and
 * {@code jvm_compilation_seconds_total}. Every meter has a description: the Kafka client meters that come without one
 * get Kafka's meaning ({@link #describeKafka}). Kafka's own meters keep Kafka's names and units.
 */
public final class NarratorRegistry implements AutoCloseable {
    /** The binders' meters whose time unit is not seconds. */
    private static final Set<String> NOT_IN_SECONDS = Set.of("process.cpu.time", "jvm.compilation.time");

    private final PrometheusMeterRegistry prometheus;
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final JvmHeapPressureMetrics heapPressure = new JvmHeapPressureMetrics();

    private NarratorRegistry(PrometheusMeterRegistry prometheus) {
        this.prometheus = prometheus;
    }

    /** A new registry with its filters, and the JVM and process meters bound. */
    public static NarratorRegistry create() {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        prometheus.config()
                .meterFilter(MeterFilter.deny(id -> NOT_IN_SECONDS.contains(id.getName())))
                .meterFilter(new MeterFilter() {
                    @Override
                    public Meter.Id map(Meter.Id id) {
                        return describeKafka(id);
                    }
                });
        NarratorRegistry registry = new NarratorRegistry(prometheus);
        new JvmMemoryMetrics().bindTo(prometheus);
        registry.gc.bindTo(prometheus);
        registry.heapPressure.bindTo(prometheus);
        new JvmThreadMetrics().bindTo(prometheus);
        new ClassLoaderMetrics().bindTo(prometheus);
        new JvmInfoMetrics().bindTo(prometheus);
        new ProcessorMetrics().bindTo(prometheus);
        new FileDescriptorMetrics().bindTo(prometheus);
        new UptimeMetrics().bindTo(prometheus);
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean process)
            FunctionCounter.builder("process.cpu", process, p -> p.getProcessCpuTime() / 1e9).baseUnit("seconds")
                    .description("CPU time used by the JVM process").register(prometheus);
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit != null && jit.isCompilationTimeMonitoringSupported())
            FunctionCounter.builder("jvm.compilation", jit, c -> c.getTotalCompilationTime() / 1000.0).baseUnit("seconds")
                    .tag("compiler", jit.getName()).description("time the JIT compiler has spent compiling").register(prometheus);
        return registry;
    }

    /**
     * A Kafka client meter without a description gets Kafka's meaning: the per-broker request latencies of the clients'
     * node metrics ({@code request-latency-avg}, {@code request-latency-max}), which Kafka registers without one (the
     * only such meters a running narrator serves; {@code MetricsEndpointIT} checks that every meter has a description).
     */
    static Meter.Id describeKafka(Meter.Id id) {
        if (id.getDescription() != null && !id.getDescription().isBlank() || !id.getName().startsWith("kafka.")) return id;
        String name = id.getName();
        String description;
        if (name.endsWith(".node.request.latency.avg")) description = "The average request latency to this broker in ms (Kafka's node metrics)";
        else if (name.endsWith(".node.request.latency.max")) description = "The maximum request latency to this broker in ms (Kafka's node metrics)";
        else return id;
        return new Meter.Id(name, Tags.of(id.getTagsAsIterable()), id.getBaseUnit(), description, id.getType());
    }

    /** The registry to serve and to register meters in. */
    public PrometheusMeterRegistry prometheus() {
        return prometheus;
    }

    /** Stops the binders that listen to the JVM (garbage collection, heap pressure) and closes the registry. */
    @Override
    public void close() {
        gc.close();
        heapPressure.close();
        prometheus.close();
    }
}
