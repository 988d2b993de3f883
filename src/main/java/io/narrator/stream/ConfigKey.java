package io.narrator.stream;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every Narrator configuration key, its default and what it means: the one place the README's
 * configuration reference is generated from ({@link #markdownTable()}). Keys not listed here pass
 * through untouched to Kafka Streams and its clients (including {@code security.protocol},
 * {@code sasl.*}, {@code ssl.*}).
 */
public enum ConfigKey {
    BOOTSTRAP_SERVERS("bootstrap.servers", "", "Kafka brokers to connect to; empty = start an embedded broker (the CLI decides)."),
    APPLICATION_ID("application.id", "narrator", "Kafka Streams application id: consumer group, state and internal topic prefix."),
    PROCESSING_GUARANTEE("processing.guarantee", "exactly_once_v2", "Kafka Streams processing guarantee; exactly_once_v2 publishes each window's caption exactly once."),
    GROUP_INSTANCE_ID("group.instance.id", "", "Static membership: this instance's own id in the consumer group (Kafka Streams adds the stream thread's number), e.g. the pod or host name (narrator run --group-instance-id). A restarted instance with the same id gets its partitions back at once, without a rebalance, if it returns within session.timeout.ms; it leaves the group when stopped. Every running instance needs its own: of two with the same id, the older stops. Empty = dynamic membership."),
    SESSION_TIMEOUT_MS("session.timeout.ms", "10000", "How long the group waits for an instance that stopped without leaving (killed, or a static member restarting) before its partitions move to the others (Kafka's own default is 45000)."),
    TOPIC_PREFIX("topic.prefix", "narrator.", "Prefix of the default topic names below."),
    TOPIC_FRAMES("topic.frames", "", "Topic of VideoFrame records; empty = {prefix}frames."),
    TOPIC_SEGMENTS("topic.segments", "", "Topic of VideoSegment records; empty = {prefix}segments."),
    TOPIC_PROMPTS("topic.prompts", "", "Compacted topic of NarrationPrompt records (key = stream id or the default key); empty = {prefix}prompts."),
    TOPIC_PROMPT_TABLE("topic.prompt.table", "", "Compacted topic of validated prompts, written by Narrator and read by every instance; empty = {prefix}prompt-table."),
    TOPIC_CAPTIONS("topic.captions", "", "Topic Caption records are published to; empty = {prefix}captions."),
    TOPIC_DEAD_LETTERS("topic.dead.letters", "", "Topic DeadLetter records are published to; empty = {prefix}dead-letters."),
    TOPIC_ALERT_RULES("topic.alert.rules", "", "Compacted topic of AlertRule records (key = {stream id}/{rule id}, or {default key}/{rule id} for a rule of every stream); empty = {prefix}alert-rules."),
    TOPIC_ALERT_RULE_TABLE("topic.alert.rule.table", "", "Compacted topic of validated alert rules, written by Narrator and read by every instance; empty = {prefix}alert-rule-table."),
    TOPIC_ALERTS("topic.alerts", "", "Topic Alert records are published to, in the same transaction as the clip's caption; empty = {prefix}alerts."),
    TOPIC_PARTITIONS("topic.partitions", "6", "Partitions of topics Narrator creates; existing frames and segments topics must have this many (a record on another partition than its key's under murmur2 is a dead letter, WRONG_PARTITION)."),
    TOPIC_REPLICATION_FACTOR("topic.replication.factor", "-1", "Replication factor of topics Narrator creates; -1 = the broker's default."),
    TOPIC_INPUT_RETENTION_MS("topic.input.retention.ms", "3600000", "Retention of the frames and segments topics (1 hour)."),
    TOPIC_OUTPUT_RETENTION_MS("topic.output.retention.ms", "604800000", "Retention of the captions, dead-letters and alerts topics (7 days)."),
    CAPTIONS_FORMAT("captions.format", "avro", "How Caption records are written: avro = Avro single-object encoding (C3 01, the schema's fingerprint, the record); registry = Avro in the Schema Registry wire format (byte 0, the 4-byte schema id, the record), the schema registered under the subject {topic}-value at schema.registry.url; json = one JSON object per caption, for JsonConverter with schemas off and ksqlDB VALUE_FORMAT='JSON' (docs/subscribers.md)."),
    DEAD_LETTERS_FORMAT("dead.letters.format", "avro", "How DeadLetter records are written: avro, registry or json, as captions.format."),
    ALERTS_FORMAT("alerts.format", "avro", "How Alert records are written: avro, registry or json, as captions.format."),
    SCHEMA_REGISTRY_URL("schema.registry.url", "", "Base URL of the Schema Registry (Confluent's REST API: Confluent Schema Registry, Karapace, Redpanda, Apicurio's /apis/ccompat/v7); several, comma-separated, are tried in order. Needed by the registry format; with it, inputs in the Schema Registry wire format are read too (their writer schema fetched by id). Empty = none."),
    SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO("schema.registry.basic.auth.user.info", "", "user:password for HTTP basic authentication to the Schema Registry; empty = none."),
    SCHEMA_REGISTRY_AUTO_REGISTER("schema.registry.auto.register", "true", "true = Narrator registers its output schemas under {topic}-value (the registry answers with the existing id when one is registered); false = it only looks them up, and a schema not registered there stops start-up."),
    SCHEMA_REGISTRY_SSL_TRUSTSTORE_LOCATION("schema.registry.ssl.truststore.location", "", "Trust store for an https:// registry (its issuers' certificates); empty = the JVM's default trust."),
    SCHEMA_REGISTRY_SSL_TRUSTSTORE_PASSWORD("schema.registry.ssl.truststore.password", "", "Password of the trust store."),
    SCHEMA_REGISTRY_SSL_TRUSTSTORE_TYPE("schema.registry.ssl.truststore.type", "PKCS12", "Type of the trust store: PKCS12 or JKS."),
    SCHEMA_REGISTRY_SSL_KEYSTORE_LOCATION("schema.registry.ssl.keystore.location", "", "Key store with this client's certificate, for a registry that requires one (mutual TLS); empty = none."),
    SCHEMA_REGISTRY_SSL_KEYSTORE_PASSWORD("schema.registry.ssl.keystore.password", "", "Password of the key store."),
    SCHEMA_REGISTRY_SSL_KEYSTORE_TYPE("schema.registry.ssl.keystore.type", "PKCS12", "Type of the key store: PKCS12 or JKS."),
    SCHEMA_REGISTRY_SSL_KEY_PASSWORD("schema.registry.ssl.key.password", "", "Password of the private key in the key store; empty = the key store's password."),
    DEFAULT_PROMPT_KEY("default.prompt.key", "*", "Key of the prompt record used for streams without a prompt of their own; also the scope of alert rules for every stream ({default key}/{rule id})."),
    SAMPLE_FPS("sample.fps", "1", "Frames kept per second of event time per stream: the first frame at or after each 1/fps boundary."),
    WINDOW_SECONDS("window.seconds", "8", "Length of a clip in seconds of event time."),
    HOP_SECONDS("hop.seconds", "4", "A clip is made every hop seconds; window.phase says where in the hop windows end."),
    WINDOW_PHASE("window.phase", "spread", "spread = each stream's windows end a whole number of seconds (from its id, modulo hop) after the multiples of hop since the epoch, so many streams' clips close spread over the hop; aligned = every stream's windows end at the multiples of hop."),
    IDLE_TIMEOUT_MS("idle.timeout.ms", "10000", "A stream without frames for this long (wall clock) has its last partial window narrated, once."),
    VISION_BATCH_MAX("vision.batch.max", "16", "Most sampled frames (of any streams) encoded in one call of the vision encoder, which the narration engine runs on its own thread."),
    VISION_BATCH_WAIT_MS("vision.batch.wait.ms", "100", "When no clip waits, the narration engine encodes kept frames ahead of their clips once vision.batch.max of them wait or the oldest has waited this long (wall clock)."),
    VISION_CACHE_FRAMES("vision.cache.frames", "2048", "Vision features of this many frames are kept in memory (least recently used go first), so that a frame in two overlapping windows is encoded once; enough for window.seconds + hop.seconds of every stream of the instance."),
    BATCH_MAX("batch.max", "8", "Most clips (of any streams) narrated in one batched generation."),
    BATCH_WAIT_MS("batch.wait.ms", "20", "Longest wait for more clips once a batch has its first clip."),
    NARRATION_THREADS("narration.threads", "1", "Batches narrated at the same time, each on its own thread; more than one spreads a burst of clips over the cores."),
    QUEUE_CAPACITY("queue.capacity", "256", "Clips waiting for narration, at most; a clip beyond that gets a Caption with an error."),
    MAX_LAG_MS("max.lag.ms", "60000", "A clip whose window closed longer ago than this is skipped: its Caption carries an error instead of text."),
    CLIP_TIMEOUT_MS("clip.timeout.ms", "", "A clip submitted for narration and not completed this long after (wall clock) is published with an error caption, so that a lost narration never holds back its stream's later captions; must exceed max.lag.ms and the longest batch; empty = max.lag.ms + 60000."),
    SUPPRESS_REPEATS("suppress.repeats", "false", "When true, a caption equal to the stream's previous one is not published (counted)."),
    CONTEXT_PREVIOUS_CAPTION("context.previous.caption", "false", "When true, the stream's previous caption is given to the model as context, as plain text before the prompt; a caption that would read as media (one holding a media marker of the model, e.g. flamingo-mini's '<') is left out."),
    MODEL_DEVICE("model.device", "auto", "Where the model runs: cpu, gpu (the first CUDA GPU), gpu:N, or auto (the first GPU PyTorch sees, else the CPU). GPUs need the CUDA build (mvn -Pcuda package). The --device option of the model commands overrides it."),
    MODEL_DTYPE("model.dtype", "f32", "Number format of the model's weights and computation: f32, or f16 (half the weights' memory; on the CPU slower, not faster). The --dtype option of the model commands overrides it."),
    GENERATION_MAX_TOKENS("generation.max.tokens", "20", "Default number of new tokens per caption, at most (prompts may override)."),
    GENERATION_BEAMS("generation.beams", "3", "Default beam-search width (prompts may override)."),
    GENERATION_TOP_P("generation.top.p", "0", "Default nucleus-sampling threshold; 0 = beam search (prompts may override)."),
    PROMPT_MAX_EXAMPLES("prompt.max.examples", "32", "Prompts with more examples than this are dead letters (PROMPT_TOO_LONG); so are prompts whose tokens and generation.max.tokens (twice that with context.previous.caption) do not fit the model's context."),
    PROMPT_MAX_BYTES("prompt.max.bytes", "4194304", "Prompts whose example media and texts add up to more bytes than this are dead letters (PROMPT_TOO_LONG); checked before any media is decoded."),
    ALERT_COOLDOWN_SECONDS("alert.cooldown.seconds", "60", "After an alert, matches of the same rule on the same stream whose clip windows end less than this many seconds later (event time) publish no alert; a rule's cooldownSeconds overrides it; 0 = an alert for every matching clip."),
    ALERT_QUESTION_PROMPT("alert.question.prompt", "Question: {question} Answer:", "How a QUESTION alert rule is put to the model: the text after the clip's media marker, {question} standing for the rule's question; each answer is scored after it. A rule's own prompt overrides it."),
    MAX_RECORD_BYTES("max.record.bytes", "8388608", "Frames, segments and prompts larger than this are dead letters (RECORD_TOO_LARGE)."),
    MAX_PIXELS("max.pixels", "8294400", "Frames with more pixels than this (default 3840x2160) are dead letters (TOO_MANY_PIXELS); checked before decoding."),
    MAX_TIMESTAMP_MICROS("max.timestamp.micros", "4102444800000000", "Event times beyond this (default 2100-01-01, catches nanoseconds sent as microseconds) are dead letters."),
    MAX_SEGMENT_SECONDS("max.segment.seconds", "60", "Segments declaring a longer duration are dead letters (INVALID_DURATION), before decoding: one record is decoded at once on a stream thread."),
    TIMESTAMP_SKEW_MS("timestamp.skew.ms", "3600000", "A frame or segment whose event time is further than this from its stream's clock, either way, is a dead letter (TIMESTAMP_SKEW); the clock moves that far only after the stream was silent this long (wall clock) or timestamp.skew.confirmations records in a row agree."),
    TIMESTAMP_SKEW_CONFIRMATIONS("timestamp.skew.confirmations", "3", "Consecutive records of a stream, each within timestamp.skew.ms of the one before, that move its clock however far they are from it (the last is accepted, the others are dead letters): a source whose clock really jumped recovers, a stray record cannot move it."),
    DRAIN_INTERVAL_MS("drain.interval.ms", "25", "How often (wall clock) finished narrations are published by the stream threads."),
    METRICS_PORT("metrics.port", "-1", "Port of the Prometheus endpoint /metrics and of the health endpoints /health/live and /health/ready (docs/operations.md); -1 = off, 0 = a free port."),
    WEB_PORT("web.port", "-1", "Port of the live web page (every stream's latest sampled frame, its captions as they arrive, dead letters and alerts; docs/web.md) and of /health/live and /health/ready; -1 = off, 0 = a free port. The --web-port option of run, demo and web overrides it."),
    WEB_HISTORY_MS("web.history.ms", "3600000", "When the web page starts, it reads the captions, dead letters and alerts published this long ago and since (1 hour), so it opens with each stream's recent captions (the newest 100 per stream are kept); dead letters are counted from then on.");

    private final String key;
    private final String defaultValue;
    private final String doc;

    ConfigKey(String key, String defaultValue, String doc) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.doc = doc;
    }

    /** The property name, e.g. {@code hop.seconds}. */
    public String key() {
        return key;
    }

    /** The default value as written in a properties file ({@code ""} = derived or unset). */
    public String defaultValue() {
        return defaultValue;
    }

    /** What the key means, for people. */
    public String doc() {
        return doc;
    }

    /**
     * The environment variable that gives this key a value when no configuration file does: {@code NARRATOR_} and the
     * key in capitals with {@code _} for {@code .}, e.g. {@code NARRATOR_METRICS_PORT} for {@code metrics.port}.
     */
    public String envName() {
        return ENV_PREFIX + key.toUpperCase(java.util.Locale.ROOT).replace('.', '_');
    }

    /** The prefix of the environment variables of {@link #envName()}. */
    public static final String ENV_PREFIX = "NARRATOR_";

    /** True for keys Kafka itself reads, which are passed through to Kafka Streams too. */
    public boolean isKafkaKey() {
        return this == BOOTSTRAP_SERVERS || this == APPLICATION_ID || this == PROCESSING_GUARANTEE || this == GROUP_INSTANCE_ID || this == SESSION_TIMEOUT_MS;
    }

    /** The key with this property name, if it is one of Narrator's. */
    public static Optional<ConfigKey> byName(String name) {
        return Arrays.stream(values()).filter(k -> k.key.equals(name)).findFirst();
    }

    /** The configuration reference as a Markdown table (key, default, meaning). */
    public static String markdownTable() {
        return "| key | default | meaning |\n|---|---|---|\n"
                + Arrays.stream(values())
                        .map(k -> "| `" + k.key + "` | " + (k.defaultValue.isEmpty() ? "*(empty)*" : "`" + k.defaultValue + "`") + " | " + k.doc + " |")
                        .collect(Collectors.joining("\n"))
                + "\n";
    }
}
