package io.narrator.stream;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;

/**
 * Builds Narrator's topology (pure: no I/O, reused by tests):
 * <pre>
 * frames   ─► frame-intake   ─┐ (sample, decode; images kept)        ┌─► captions
 * segments ─► segment-intake ─┴─► clip-windows ─► NarrationEngine ───┤ (vision encoder, narration, questions)
 *                                                                    └─► alerts (same transaction, cooldowns in a store)
 * prompts  ─► prompt-validator ─► prompt-table ─► global prompt store (every instance)
 *             (validated in offset order on the prompt library's own thread; waiting ones kept in a store)
 * alert-rules ─► alert-rule-validator ─► alert-rule-table ─► global alert-rule store (every instance)
 * any rejected record ─────────────────────────────────────────────────► dead-letters
 * </pre>
 * Sources read raw bytes (keys too) and decode inside the processors, so undecodable records become dead
 * letters with their origin instead of stopping the application or vanishing. Inputs are read with the serdes of
 * {@code topics} (single-object or registry-framed Avro); captions and dead letters are written in their topics'
 * {@link OutputFormat}s.
 */
public final class NarratorTopology {
    static final String FRAMES_SOURCE = "frames-source";
    static final String SEGMENTS_SOURCE = "segments-source";
    static final String PROMPTS_SOURCE = "prompts-source";
    static final String ALERT_RULES_SOURCE = "alert-rules-source";
    static final String FRAME_INTAKE = "frame-intake";
    static final String SEGMENT_INTAKE = "segment-intake";
    static final String PROMPT_VALIDATOR = "prompt-validator";
    static final String ALERT_RULE_VALIDATOR = "alert-rule-validator";
    static final String CLIP_WINDOWS = "clip-windows";
    static final String CAPTION_SINK = "captions-sink";
    static final String DEAD_LETTER_SINK = "dead-letters-sink";
    static final String PROMPT_TABLE_SINK = "prompt-table-sink";
    static final String ALERT_RULE_TABLE_SINK = "alert-rule-table-sink";
    static final String ALERT_SINK = "alerts-sink";

    private NarratorTopology() {}

    /**
     * Adds Narrator to {@code builder} and returns the built topology.
     *
     * @throws IllegalArgumentException when the configured window holds more frames than the model takes, or the configured
     *     generation does not fit the model's context
     */
    public static Topology build(StreamsBuilder builder, NarrationEngine engine, Topics topics, NarratorConfig config) {
        ModelInfo model = engine.narration().modelInfo();
        int framesPerWindow = PromptLibrary.framesPerWindow(config.windowSeconds(), config.sampleFps());
        if (framesPerWindow > model.maxFrames())
            throw new IllegalArgumentException("window.seconds=" + config.windowSeconds() + " at sample.fps=" + config.sampleFps() + " makes clips of "
                    + framesPerWindow + " frames, but model " + model.name() + " takes at most " + model.maxFrames()
                    + ": lower window.seconds or sample.fps");
        PromptLibrary prompts = new PromptLibrary(engine.narration(), config);
        int zeroShot = engine.narration().promptTokens(java.util.List.of());
        int generated = prompts.generatedTokens(config.generation());
        if (zeroShot + generated > model.contextTokens())
            throw new IllegalArgumentException("generation.max.tokens=" + config.generation().maxTokens() + (config.contextPreviousCaption()
                    ? " (twice, with context.previous.caption)" : "") + " and the zero-shot prompt's " + zeroShot + " tokens do not fit model "
                    + model.name() + "'s context of " + model.contextTokens() + " tokens: lower generation.max.tokens");
        NarratorMetrics metrics = engine.metrics();
        AlertRules alertRules = new AlertRules(engine.narration(), config);

        builder.addGlobalStore(NarratorStores.prompts(), topics.promptTable().name(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()), () -> new PromptTableProcessor(prompts, metrics));
        builder.addGlobalStore(NarratorStores.alertRules(), topics.alertRuleTable().name(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()), () -> new AlertRuleTableProcessor(alertRules, metrics));
        Topology topology = builder.build();

        topology.addSource(FRAMES_SOURCE, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), topics.frames().name());
        topology.addSource(SEGMENTS_SOURCE, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), topics.segments().name());
        topology.addSource(PROMPTS_SOURCE, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), topics.prompts().name());
        topology.addSource(ALERT_RULES_SOURCE, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), topics.alertRules().name());

        topology.addProcessor(FRAME_INTAKE, () -> new FrameIntakeProcessor(engine, config, topics.frameSerde()), FRAMES_SOURCE);
        topology.addProcessor(SEGMENT_INTAKE, () -> new SegmentIntakeProcessor(engine, config, topics.segmentSerde()), SEGMENTS_SOURCE);
        topology.addProcessor(CLIP_WINDOWS, () -> new ClipWindowProcessor(engine, config, prompts, alertRules), FRAME_INTAKE, SEGMENT_INTAKE);
        topology.addProcessor(PROMPT_VALIDATOR, () -> new PromptValidatorProcessor(prompts, metrics, config, topics.promptSerde()), PROMPTS_SOURCE);
        topology.addProcessor(ALERT_RULE_VALIDATOR, () -> new AlertRuleValidatorProcessor(alertRules, metrics, config), ALERT_RULES_SOURCE);

        topology.addStateStore(NarratorStores.sampling(), FRAME_INTAKE, SEGMENT_INTAKE);
        topology.addStateStore(NarratorStores.clocks(), FRAME_INTAKE, SEGMENT_INTAKE);
        topology.addStateStore(NarratorStores.frames(), FRAME_INTAKE, SEGMENT_INTAKE, CLIP_WINDOWS);
        topology.addStateStore(NarratorStores.progress(), CLIP_WINDOWS);
        topology.addStateStore(NarratorStores.pending(), CLIP_WINDOWS);
        topology.addStateStore(NarratorStores.pendingPrompts(), PROMPT_VALIDATOR);
        topology.addStateStore(NarratorStores.alertCooldowns(), CLIP_WINDOWS);

        topology.addSink(CAPTION_SINK, topics.captions().name(), Serdes.String().serializer(), serializer(topics.captions()), CLIP_WINDOWS);
        topology.addSink(ALERT_SINK, topics.alerts().name(), Serdes.String().serializer(), serializer(topics.alerts()), CLIP_WINDOWS);
        topology.addSink(DEAD_LETTER_SINK, topics.deadLetters().name(), Serdes.String().serializer(), serializer(topics.deadLetters()),
                FRAME_INTAKE, SEGMENT_INTAKE, PROMPT_VALIDATOR, ALERT_RULE_VALIDATOR);
        topology.addSink(PROMPT_TABLE_SINK, topics.promptTable().name(), Serdes.String().serializer(), serializer(topics.promptTable()),
                PROMPT_VALIDATOR);
        topology.addSink(ALERT_RULE_TABLE_SINK, topics.alertRuleTable().name(), Serdes.String().serializer(), serializer(topics.alertRuleTable()),
                ALERT_RULE_VALIDATOR);
        return topology;
    }

    @SuppressWarnings("unchecked")
    private static <V> Serializer<Object> serializer(Topic<String, V> topic) {
        return (Serializer<Object>) topic.valueSerde().serializer();
    }
}
