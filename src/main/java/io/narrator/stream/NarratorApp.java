package io.narrator.stream;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running narrator: builds the topology, creates missing topics, runs Kafka Streams, and exposes
 * Narrator's, Kafka Streams', the JVM's and the process's metrics at a Prometheus endpoint beside its {@link Health}. The CLI owns signals and
 * exit codes; it calls {@link #start()}, {@link #awaitRunning}, watches {@link #failure()} (a stream thread that
 * failed, or an {@link Error} that stopped the narration engine) and calls {@link #close()} on shutdown, which leaves
 * the consumer group (a static member, {@code group.instance.id}, included) so that the partitions move at once.
 */
public final class NarratorApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NarratorApp.class);

    private final NarratorConfig config;
    private final NarrationEngine engine;
    private final boolean ownsEngine;
    private final Topics topics;
    private final Topology topology;
    private final KafkaStreams streams;
    private final Object stateLock = new Object();
    private KafkaStreamsMetrics streamsMetrics;
    private NarratorRegistry ownRegistry;
    private MetricsServer metricsServer;
    private Throwable failure;
    private boolean closed;

    private NarratorApp(NarratorConfig config, NarrationEngine engine, boolean ownsEngine) {
        String servers = config.bootstrapServers();
        if (servers == null || servers.isBlank())
            throw new IllegalArgumentException("bootstrap.servers is empty: point it at a Kafka cluster, or start an EmbeddedKafkaBroker and use its bootstrapServers()");
        this.config = config;
        this.engine = engine;
        this.ownsEngine = ownsEngine;
        this.topics = Topics.from(config);
        this.topology = NarratorTopology.build(new StreamsBuilder(), engine, topics, config);
        this.streams = new KafkaStreams(topology, config.streamsProperties());
        streams.setStateListener((now, before) -> {
            LOG.info("narrator {} -> {}", before, now);
            synchronized (stateLock) {
                stateLock.notifyAll();
            }
        });
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("stream thread failed; shutting the narrator down", e);
            failed(e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        engine.onFatal(this::failed);
    }

    private void failed(Throwable e) {
        synchronized (stateLock) {
            if (failure == null) failure = e;
            stateLock.notifyAll();
        }
    }

    /**
     * A narrator with its own engine around {@code narration} and its own Prometheus registry (a {@link NarratorRegistry},
     * with the JVM's and the process's meters); both are closed with the app.
     */
    public static NarratorApp create(NarratorConfig config, Narration narration) {
        NarratorRegistry registry = NarratorRegistry.create();
        NarrationEngine engine = NarrationEngine.start(narration, NarrationEngine.Settings.from(config), new NarratorMetrics(registry.prometheus()));
        try {
            NarratorApp app = new NarratorApp(config, engine, true);
            app.ownRegistry = registry;
            return app;
        } catch (RuntimeException e) {
            engine.close();
            registry.close();
            throw e;
        }
    }

    /** A narrator using a shared engine (one per JVM), which stays open when the app closes. */
    public static NarratorApp create(NarratorConfig config, NarrationEngine engine) {
        return new NarratorApp(config, engine, false);
    }

    /**
     * Creates missing topics, registers (or looks up) the output schemas where an output format uses the Schema Registry,
     * starts the metrics endpoint (if configured) and Kafka Streams.
     *
     * @throws SchemaRegistryClient.SchemaRegistryException when the registry refuses an output schema or cannot be reached
     */
    public void start() {
        topics.prepareOutputs();
        for (OutputSerde<?> output : List.of(topics.captionSerde(), topics.deadLetterSerde()))
            if (output.format() == OutputFormat.REGISTRY)
                LOG.info("{} in the Schema Registry wire format: schema id {} under subject {}", output.subject(), output.prepare(), output.subject());
        try (Admin admin = Admin.create(config.clientProperties())) {
            List<String> created = TopicAdmin.ensureTopics(admin, config);
            if (!created.isEmpty()) LOG.info("created topics {}", created);
        }
        if (engine.metrics().registry() instanceof PrometheusMeterRegistry prometheus) {
            streamsMetrics = new KafkaStreamsMetrics(streams);
            streamsMetrics.bindTo(prometheus);
            if (config.metricsPort() >= 0) {
                metricsServer = MetricsServer.start(prometheus, config.metricsPort(), this::health);
                LOG.info("metrics at http://localhost:{}/metrics, health at /health/live and /health/ready", metricsServer.port());
            }
        } else if (config.metricsPort() >= 0) {
            LOG.warn("metrics.port={} ignored: the engine's registry is not a Prometheus registry", config.metricsPort());
        }
        streams.start();
    }

    /**
     * Waits until Kafka Streams is running.
     *
     * @return false if the timeout passed first
     * @throws IllegalStateException when the narrator failed or was stopped while starting
     */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (stateLock) {
            while (true) {
                KafkaStreams.State state = streams.state();
                if (state == KafkaStreams.State.RUNNING) return true;
                if (failure != null || state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR)
                    throw new IllegalStateException("narrator failed while starting: " + (failure == null ? state : failure.getMessage()), failure);
                if (!state.isRunningOrRebalancing() && state != KafkaStreams.State.CREATED)
                    throw new IllegalStateException("narrator stopped while starting (state " + state + ")");
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                TimeUnit.NANOSECONDS.timedWait(stateLock, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
            }
        }
    }

    /** Kafka Streams' state (CREATED, REBALANCING, RUNNING, ERROR, ...). */
    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Why the narrator failed (a stream thread's failure, or the {@link Error} that stopped the narration engine), if it did. */
    public Throwable failure() {
        synchronized (stateLock) {
            return failure;
        }
    }

    /** Why the narrator failed, in one line (null while it has not): the narration engine's error, or a stream thread's root cause. */
    public String failureReason() {
        Optional<Throwable> engineFailure = engine.failure();
        if (engineFailure.isPresent()) return "the narration engine failed: " + NarrationEngine.describe(engineFailure.get()) + "; " + advice(engineFailure.get());
        Throwable failed = failure();
        if (failed == null) return null;
        Throwable root = failed;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String why = NarrationEngine.describe(root);
        if (root instanceof FencedInstanceIdException)
            why += " (another instance uses group.instance.id " + config.streamsProperties().getProperty(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)
                    + ": every instance needs its own)";
        return "a stream thread failed: " + why;
    }

    /** What to do about an {@link Error} that stopped the narration engine. */
    private static String advice(Throwable error) {
        if (error instanceof OutOfMemoryError) return "give the JVM more memory (JAVA_OPTS=-Xmx...) or narrate smaller batches (batch.max, narration.threads)";
        if (error instanceof StackOverflowError) return "give threads a larger stack (JAVA_OPTS=-Xss...)";
        if (error instanceof LinkageError) return "a native library failed: check the platform and DJL's cache directory (DJL_CACHE_DIR)";
        return "restart the narrator: its pending clips are narrated again";
    }

    /**
     * Live while the narration engine works (every batching thread alive, none stuck in one batch for longer than
     * {@code clip.timeout.ms}, no {@link Error}) and Kafka Streams has neither failed nor stopped; ready when also
     * running (not starting or rebalancing).
     */
    public Health health() {
        String failed = failureReason();
        if (failed != null) return Health.dead(failed);
        if (engine.liveThreads() < engine.threads())
            return Health.dead("only " + engine.liveThreads() + " of " + engine.threads() + " narration engine threads are alive");
        long longest = engine.longestBatchMillis();
        if (longest > config.clipTimeoutMs())
            return Health.dead("a narration batch has been running for " + longest + " ms, longer than clip.timeout.ms=" + config.clipTimeoutMs());
        KafkaStreams.State state = streams.state();
        return switch (state) {
            case RUNNING -> Health.ok();
            case CREATED, REBALANCING -> Health.notReady("Kafka Streams is " + state);
            default -> Health.dead("Kafka Streams is " + state);
        };
    }

    /** The topology this narrator runs. */
    public Topology topology() {
        return topology;
    }

    /** The engine narrating this app's clips. */
    public NarrationEngine engine() {
        return engine;
    }

    /** The port of the Prometheus endpoint, or -1 when it is off. */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.port();
    }

    /** Stops Kafka Streams (committing what is done), the metrics endpoint, and the engine if this app owns it. */
    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    /** Like {@link #close()}, waiting at most {@code timeout} for Kafka Streams. */
    public synchronized void close(Duration timeout) {
        if (closed) return;
        closed = true;
        if (!streams.close(new KafkaStreams.CloseOptions().timeout(timeout).leaveGroup(true))) LOG.warn("Kafka Streams did not stop within {}", timeout);
        if (streamsMetrics != null) streamsMetrics.close();
        if (metricsServer != null) metricsServer.close();
        if (ownsEngine) engine.close();
        if (ownRegistry != null) ownRegistry.close();
    }
}
