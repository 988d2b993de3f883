package io.narrator.stream;

import static io.narrator.stream.ConfigKey.*;

import io.narrator.model.ModelDevice;
import io.narrator.model.ModelDtype;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;

/**
 * Narrator's whole configuration: typed Narrator settings (see {@link ConfigKey} for every key) plus
 * the Kafka properties that pass through untouched. Built from a properties file or map; defaults
 * are filled in {@code putIfAbsent} style, so anything given wins.
 */
public record NarratorConfig(
        Map<String, String> properties,
        Topics.Names topics,
        int topicPartitions,
        short topicReplicationFactor,
        long inputRetentionMs,
        long outputRetentionMs,
        OutputFormat captionsFormat,
        OutputFormat deadLettersFormat,
        OutputFormat alertsFormat,
        SchemaRegistrySettings schemaRegistry,
        String defaultPromptKey,
        double sampleFps,
        int windowSeconds,
        int hopSeconds,
        WindowPhase windowPhase,
        long idleTimeoutMs,
        int visionBatchMax,
        long visionBatchWaitMs,
        int visionCacheFrames,
        int batchMax,
        long batchWaitMs,
        int narrationThreads,
        int queueCapacity,
        long maxLagMs,
        long clipTimeoutMs,
        boolean suppressRepeats,
        boolean contextPreviousCaption,
        GenerationSettings generation,
        int promptMaxExamples,
        long promptMaxBytes,
        AlertSettings alerts,
        int maxRecordBytes,
        long maxPixels,
        long maxTimestampMicros,
        int maxSegmentSeconds,
        long timestampSkewMs,
        int timestampSkewConfirmations,
        long drainIntervalMs,
        int metricsPort,
        int webPort,
        long webHistoryMs,
        ModelDevice modelDevice,
        ModelDtype modelDtype) {

    public NarratorConfig {
        properties = Collections.unmodifiableMap(new TreeMap<>(properties));
        if (topics == null) throw new IllegalArgumentException("topic names must not be null");
        if (topicPartitions < 1) throw new IllegalArgumentException(TOPIC_PARTITIONS.key() + " must be >= 1, got " + topicPartitions);
        if (topicReplicationFactor < 1 && topicReplicationFactor != -1)
            throw new IllegalArgumentException(TOPIC_REPLICATION_FACTOR.key() + " must be >= 1 or -1, got " + topicReplicationFactor);
        positive(TOPIC_INPUT_RETENTION_MS, inputRetentionMs);
        positive(TOPIC_OUTPUT_RETENTION_MS, outputRetentionMs);
        if (captionsFormat == null || deadLettersFormat == null || alertsFormat == null) throw new IllegalArgumentException("output formats must not be null");
        if (schemaRegistry == null) throw new IllegalArgumentException("Schema Registry settings must not be null (SchemaRegistrySettings.NONE for none)");
        requireRegistry(CAPTIONS_FORMAT, captionsFormat, schemaRegistry);
        requireRegistry(DEAD_LETTERS_FORMAT, deadLettersFormat, schemaRegistry);
        requireRegistry(ALERTS_FORMAT, alertsFormat, schemaRegistry);
        if (defaultPromptKey == null || defaultPromptKey.isEmpty())
            throw new IllegalArgumentException(DEFAULT_PROMPT_KEY.key() + " must not be empty");
        if (!(sampleFps > 0) || sampleFps > 1000)
            throw new IllegalArgumentException(SAMPLE_FPS.key() + " must be in (0, 1000], got " + sampleFps);
        positive(WINDOW_SECONDS, windowSeconds);
        positive(HOP_SECONDS, hopSeconds);
        if (hopSeconds > windowSeconds)
            throw new IllegalArgumentException(HOP_SECONDS.key() + "=" + hopSeconds + " is longer than " + WINDOW_SECONDS.key() + "="
                    + windowSeconds + ": frames between windows would never be narrated");
        if (windowPhase == null) throw new IllegalArgumentException(WINDOW_PHASE.key() + " must not be null");
        positive(IDLE_TIMEOUT_MS, idleTimeoutMs);
        positive(VISION_BATCH_MAX, visionBatchMax);
        positive(VISION_BATCH_WAIT_MS, visionBatchWaitMs);
        positive(VISION_CACHE_FRAMES, visionCacheFrames);
        positive(BATCH_MAX, batchMax);
        if (batchWaitMs < 0) throw new IllegalArgumentException(BATCH_WAIT_MS.key() + " must be >= 0, got " + batchWaitMs);
        positive(NARRATION_THREADS, narrationThreads);
        positive(QUEUE_CAPACITY, queueCapacity);
        positive(MAX_LAG_MS, maxLagMs);
        if (clipTimeoutMs <= maxLagMs)
            throw new IllegalArgumentException(CLIP_TIMEOUT_MS.key() + "=" + clipTimeoutMs + " must exceed " + MAX_LAG_MS.key() + "=" + maxLagMs
                    + ": a clip may wait that long in the queue before it is narrated");
        if (generation == null) throw new IllegalArgumentException("generation settings must not be null");
        positive(PROMPT_MAX_EXAMPLES, promptMaxExamples);
        positive(PROMPT_MAX_BYTES, promptMaxBytes);
        if (alerts == null) throw new IllegalArgumentException("alert settings must not be null");
        positive(MAX_RECORD_BYTES, maxRecordBytes);
        positive(MAX_PIXELS, maxPixels);
        positive(MAX_TIMESTAMP_MICROS, maxTimestampMicros);
        positive(MAX_SEGMENT_SECONDS, maxSegmentSeconds);
        positive(TIMESTAMP_SKEW_MS, timestampSkewMs);
        if (timestampSkewMs > Long.MAX_VALUE / 1000)
            throw new IllegalArgumentException(TIMESTAMP_SKEW_MS.key() + " is out of range: " + timestampSkewMs);
        if (timestampSkewConfirmations < 2)
            throw new IllegalArgumentException(TIMESTAMP_SKEW_CONFIRMATIONS.key() + " must be >= 2 (one record must not move a stream's clock), got "
                    + timestampSkewConfirmations);
        positive(DRAIN_INTERVAL_MS, drainIntervalMs);
        String instanceId = properties.get(GROUP_INSTANCE_ID.key());
        if (instanceId != null && !instanceId.isEmpty() && !instanceId.matches("[a-zA-Z0-9._-]{1,240}"))
            throw new IllegalArgumentException(GROUP_INSTANCE_ID.key() + " must be at most 240 letters, digits, '.', '_' or '-', got '" + instanceId + "'");
        if (metricsPort < -1 || metricsPort > 65535)
            throw new IllegalArgumentException(METRICS_PORT.key() + " must be -1 (off), 0 (any free port) or a port, got " + metricsPort);
        if (webPort < -1 || webPort > 65535)
            throw new IllegalArgumentException(WEB_PORT.key() + " must be -1 (off), 0 (any free port) or a port, got " + webPort);
        if (webPort > 0 && webPort == metricsPort)
            throw new IllegalArgumentException(WEB_PORT.key() + " and " + METRICS_PORT.key() + " are both " + webPort + ": give the web page a port of its own");
        positive(WEB_HISTORY_MS, webHistoryMs);
        if (modelDevice == null) throw new IllegalArgumentException(MODEL_DEVICE.key() + " must not be null");
        if (modelDtype == null) throw new IllegalArgumentException(MODEL_DTYPE.key() + " must not be null");
    }

    /** The defaults, as if from an empty properties file. */
    public static NarratorConfig defaults() {
        return of(Map.of());
    }

    /** Reads a properties file (Narrator keys and Kafka properties side by side). */
    public static NarratorConfig load(Path file) {
        return of(read(file));
    }

    /**
     * The properties of one configuration file, whose keys are checked for typos of Narrator's keys.
     *
     * @throws IllegalArgumentException naming the file when it cannot be read or holds a typo of a Narrator key
     */
    public static Properties read(Path file) {
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot read configuration file " + file + ": " + e.getMessage(), e);
        }
        try {
            ConfigKeyTypos.check(props.stringPropertyNames());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("configuration file " + file + ": " + e.getMessage(), e);
        }
        return props;
    }

    /**
     * The Narrator keys given by environment variables ({@link ConfigKey#envName()}, e.g. {@code NARRATOR_METRICS_PORT=9464}),
     * from {@code env}: the values configuration files start from (a container runs without one). Other variables are
     * ignored, but one that starts with {@code NARRATOR_} and is a typo of a key's variable is refused.
     *
     * @throws IllegalArgumentException naming the variable meant, for a typo such as {@code NARRATOR_METRIC_PORT}
     */
    public static Map<String, String> fromEnvironment(Map<String, String> env) {
        Map<String, String> given = new TreeMap<>();
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String name = e.getKey();
            if (!name.startsWith(ConfigKey.ENV_PREFIX)) continue;
            java.util.Optional<ConfigKey> key = java.util.Arrays.stream(ConfigKey.values()).filter(k -> k.envName().equals(name)).findFirst();
            if (key.isPresent()) {
                given.put(key.get().key(), e.getValue());
                continue;
            }
            String asKey = name.substring(ConfigKey.ENV_PREFIX.length()).toLowerCase(java.util.Locale.ROOT).replace('_', '.');
            java.util.Optional<ConfigKey> meant = ConfigKeyTypos.typoOf(asKey);
            if (meant.isPresent())
                throw new IllegalArgumentException("unknown environment variable " + name + " — did you mean " + meant.get().envName() + "?");
        }
        return given;
    }

    /** Builds a configuration from properties; anything not given takes its default. */
    public static NarratorConfig of(Properties props) {
        Map<String, String> map = new LinkedHashMap<>();
        props.stringPropertyNames().forEach(name -> map.put(name, props.getProperty(name)));
        return of(map);
    }

    /**
     * Builds a configuration from a map of properties; anything not given takes its default.
     *
     * @throws IllegalArgumentException when a key is a typo of a Narrator key (see {@link ConfigKeyTypos}), naming the key meant
     */
    public static NarratorConfig of(Map<String, String> given) {
        ConfigKeyTypos.check(given.keySet());
        Map<String, String> p = new LinkedHashMap<>(given);
        for (ConfigKey key : ConfigKey.values()) p.putIfAbsent(key.key(), key.defaultValue());
        String prefix = p.get(TOPIC_PREFIX.key());
        Topics.Names names = new Topics.Names(
                orDefault(p, TOPIC_FRAMES, prefix + "frames"),
                orDefault(p, TOPIC_SEGMENTS, prefix + "segments"),
                orDefault(p, TOPIC_PROMPTS, prefix + "prompts"),
                orDefault(p, TOPIC_PROMPT_TABLE, prefix + "prompt-table"),
                orDefault(p, TOPIC_CAPTIONS, prefix + "captions"),
                orDefault(p, TOPIC_DEAD_LETTERS, prefix + "dead-letters"),
                orDefault(p, TOPIC_ALERT_RULES, prefix + "alert-rules"),
                orDefault(p, TOPIC_ALERT_RULE_TABLE, prefix + "alert-rule-table"),
                orDefault(p, TOPIC_ALERTS, prefix + "alerts"));
        GenerationSettings generation;
        try {
            generation = new GenerationSettings(
                    integer(p, GENERATION_MAX_TOKENS), integer(p, GENERATION_BEAMS), decimal(p, GENERATION_TOP_P));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("generation.* settings: " + e.getMessage(), e);
        }
        return new NarratorConfig(
                p,
                names,
                integer(p, TOPIC_PARTITIONS),
                (short) integer(p, TOPIC_REPLICATION_FACTOR),
                longValue(p, TOPIC_INPUT_RETENTION_MS),
                longValue(p, TOPIC_OUTPUT_RETENTION_MS),
                OutputFormat.parse(CAPTIONS_FORMAT.key(), p.get(CAPTIONS_FORMAT.key())),
                OutputFormat.parse(DEAD_LETTERS_FORMAT.key(), p.get(DEAD_LETTERS_FORMAT.key())),
                OutputFormat.parse(ALERTS_FORMAT.key(), p.get(ALERTS_FORMAT.key())),
                SchemaRegistrySettings.from(p),
                p.get(DEFAULT_PROMPT_KEY.key()),
                decimal(p, SAMPLE_FPS),
                integer(p, WINDOW_SECONDS),
                integer(p, HOP_SECONDS),
                WindowPhase.parse(p.get(WINDOW_PHASE.key())),
                longValue(p, IDLE_TIMEOUT_MS),
                integer(p, VISION_BATCH_MAX),
                longValue(p, VISION_BATCH_WAIT_MS),
                integer(p, VISION_CACHE_FRAMES),
                integer(p, BATCH_MAX),
                longValue(p, BATCH_WAIT_MS),
                integer(p, NARRATION_THREADS),
                integer(p, QUEUE_CAPACITY),
                longValue(p, MAX_LAG_MS),
                p.get(CLIP_TIMEOUT_MS.key()).isBlank() ? longValue(p, MAX_LAG_MS) + 60_000 : longValue(p, CLIP_TIMEOUT_MS),
                bool(p, SUPPRESS_REPEATS),
                bool(p, CONTEXT_PREVIOUS_CAPTION),
                generation,
                integer(p, PROMPT_MAX_EXAMPLES),
                longValue(p, PROMPT_MAX_BYTES),
                alertSettings(p),
                integer(p, MAX_RECORD_BYTES),
                longValue(p, MAX_PIXELS),
                longValue(p, MAX_TIMESTAMP_MICROS),
                integer(p, MAX_SEGMENT_SECONDS),
                longValue(p, TIMESTAMP_SKEW_MS),
                integer(p, TIMESTAMP_SKEW_CONFIRMATIONS),
                longValue(p, DRAIN_INTERVAL_MS),
                integer(p, METRICS_PORT),
                integer(p, WEB_PORT),
                longValue(p, WEB_HISTORY_MS),
                device(p),
                dtype(p));
    }

    /** A copy with one property changed (Narrator key or Kafka property). */
    public NarratorConfig with(String key, String value) {
        Map<String, String> p = new LinkedHashMap<>(properties);
        p.put(key, value);
        return of(p);
    }

    /**
     * The clip windows of one stream under this configuration ({@code window.seconds}, {@code hop.seconds},
     * {@code window.phase}), computed in memory: the windows the streaming application closes for that stream.
     *
     * @param maxFrames most frames per clip (the model's)
     */
    public <T> ClipWindows<T> clipWindows(String streamId, int maxFrames) {
        return new ClipWindows<>(windowSeconds, hopSeconds, maxFrames, windowPhase.offsetMicros(streamId, hopSeconds));
    }

    /** The Kafka bootstrap servers, or empty when none were configured (then the CLI starts an embedded broker). */
    public String bootstrapServers() {
        return properties.get(BOOTSTRAP_SERVERS.key());
    }

    /** The Kafka Streams application id. */
    public String applicationId() {
        return properties.get(APPLICATION_ID.key());
    }

    /** Event-time sampling rule for every stream. */
    public io.narrator.ingest.FpsSampler sampler() {
        return new io.narrator.ingest.FpsSampler(sampleFps);
    }

    /**
     * Properties for Kafka Streams: every property that is not a Narrator key, passed through
     * untouched, plus Narrator's defaults for Streams (exactly-once, handlers that never drop records
     * silently, room for large feature records) where not given.
     */
    public Properties streamsProperties() {
        Properties out = new Properties();
        properties.forEach((k, v) -> {
            boolean narratorOnly = ConfigKey.byName(k).map(key -> !key.isKafkaKey()).orElse(false);
            if (!narratorOnly && !v.isEmpty()) out.setProperty(k, v);
        });
        out.putIfAbsent(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailExceptionHandler.class.getName());
        out.putIfAbsent(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DefaultProductionExceptionHandler.class.getName());
        out.putIfAbsent(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailProcessingExceptionHandler.class.getName());
        out.putIfAbsent(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, RocksDbSettings.class.getName());
        // Pending clips carry the features of a whole clip: allow records well beyond the 1 MiB default.
        out.putIfAbsent(StreamsConfig.producerPrefix("max.request.size"), String.valueOf(64 << 20));
        out.putIfAbsent(StreamsConfig.topicPrefix("max.message.bytes"), String.valueOf(64 << 20));
        return out;
    }

    /**
     * Properties for plain Kafka clients (admin, producers, consumers) talking to the same cluster:
     * the bootstrap servers and every pass-through property except Streams-only ones.
     */
    public Properties clientProperties() {
        Properties out = new Properties();
        properties.forEach((k, v) -> {
            boolean narratorOnly = ConfigKey.byName(k).map(key -> key != BOOTSTRAP_SERVERS).orElse(false);
            boolean streamsOnly = k.equals(StreamsConfig.APPLICATION_ID_CONFIG)
                    || k.equals(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)
                    || STREAMS_ONLY_PREFIXES.stream().anyMatch(k::startsWith)
                    || StreamsConfig.configDef().names().contains(k) && !CLIENT_KEYS.contains(k);
            if (!narratorOnly && !streamsOnly && !v.isEmpty()) out.setProperty(k, v);
        });
        return out;
    }

    private static final java.util.List<String> STREAMS_ONLY_PREFIXES = java.util.List.of(
            "producer.", "consumer.", "main.consumer.", "restore.consumer.", "global.consumer.", "admin.", "topic.");

    private static final java.util.Set<String> CLIENT_KEYS = java.util.Set.of(
            "bootstrap.servers", "security.protocol", "client.id", "request.timeout.ms", "retry.backoff.ms",
            "reconnect.backoff.ms", "reconnect.backoff.max.ms", "connections.max.idle.ms", "send.buffer.bytes",
            "receive.buffer.bytes", "metadata.max.age.ms", "client.dns.lookup");

    private static AlertSettings alertSettings(Map<String, String> p) {
        try {
            return new AlertSettings(longValue(p, ALERT_COOLDOWN_SECONDS), p.get(ALERT_QUESTION_PROMPT.key()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("alert.* settings: " + e.getMessage(), e);
        }
    }

    private static ModelDevice device(Map<String, String> p) {
        try {
            return ModelDevice.parse(p.get(MODEL_DEVICE.key()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(MODEL_DEVICE.key() + ": " + e.getMessage(), e);
        }
    }

    private static ModelDtype dtype(Map<String, String> p) {
        try {
            return ModelDtype.named(p.get(MODEL_DTYPE.key()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(MODEL_DTYPE.key() + ": " + e.getMessage(), e);
        }
    }

    private static void requireRegistry(ConfigKey key, OutputFormat format, SchemaRegistrySettings registry) {
        if (format == OutputFormat.REGISTRY && !registry.configured())
            throw new IllegalArgumentException(key.key() + "=registry needs " + SCHEMA_REGISTRY_URL.key() + " (the Schema Registry to register the schema with)");
    }

    private static void positive(ConfigKey key, long value) {
        if (value <= 0) throw new IllegalArgumentException(key.key() + " must be positive, got " + value);
    }

    private static String orDefault(Map<String, String> p, ConfigKey key, String fallback) {
        String v = p.get(key.key());
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    private static int integer(Map<String, String> p, ConfigKey key) {
        long v = longValue(p, key);
        if (v != (int) v) throw new IllegalArgumentException(key.key() + " is out of range: " + v);
        return (int) v;
    }

    private static long longValue(Map<String, String> p, ConfigKey key) {
        String v = p.get(key.key()).trim();
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key.key() + " must be a whole number, got '" + v + "'");
        }
    }

    private static double decimal(Map<String, String> p, ConfigKey key) {
        String v = p.get(key.key()).trim();
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key.key() + " must be a number, got '" + v + "'");
        }
    }

    private static boolean bool(Map<String, String> p, ConfigKey key) {
        String v = p.get(key.key()).trim().toLowerCase(java.util.Locale.ROOT);
        if (v.equals("true")) return true;
        if (v.equals("false")) return false;
        throw new IllegalArgumentException(key.key() + " must be true or false, got '" + v + "'");
    }
}
