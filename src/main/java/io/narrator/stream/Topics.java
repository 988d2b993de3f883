package io.narrator.stream;

import io.narrator.avro.Alert;
import io.narrator.avro.AlertRule;
import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.VideoFrame;
import io.narrator.avro.VideoSegment;
import io.narrator.avro.state.AlertRuleEntry;
import io.narrator.avro.state.PromptEntry;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Narrator's topics with their serdes; keys are stream ids (UTF-8) everywhere. Input values are Avro, single-object or
 * in the Schema Registry wire format (read with the configured registry); the output topics (captions, dead letters, alerts)
 * are written in their configured {@link OutputFormat} and read in any.
 */
public record Topics(
        Topic<String, VideoFrame> frames,
        Topic<String, VideoSegment> segments,
        Topic<String, NarrationPrompt> prompts,
        Topic<String, PromptEntry> promptTable,
        Topic<String, Caption> captions,
        Topic<String, DeadLetter> deadLetters,
        Topic<String, AlertRule> alertRules,
        Topic<String, AlertRuleEntry> alertRuleTable,
        Topic<String, Alert> alerts) {

    /** Names of Narrator's topics. */
    public record Names(String frames, String segments, String prompts, String promptTable, String captions, String deadLetters,
            String alertRules, String alertRuleTable, String alerts) {
        public Names {
            List<String> all = java.util.Arrays.asList(frames, segments, prompts, promptTable, captions, deadLetters, alertRules, alertRuleTable, alerts);
            if (all.stream().anyMatch(n -> n == null || n.isBlank())) throw new IllegalArgumentException("topic names must not be blank: " + all);
            if (all.stream().distinct().count() != all.size())
                throw new IllegalArgumentException("topic names must be distinct, got " + all);
        }
    }

    /** The topics named in the configuration, in its output formats, with a client of its Schema Registry (if any). */
    public static Topics from(NarratorConfig config) {
        return of(config.topics(), config.captionsFormat(), config.deadLettersFormat(), config.alertsFormat(), SchemaRegistryClient.from(config));
    }

    /** The topics with the given names, outputs in single-object Avro, no registry. */
    public static Topics of(Names names) {
        return of(names, OutputFormat.AVRO, OutputFormat.AVRO, OutputFormat.AVRO, null);
    }

    /** The topics with the given names, output formats and Schema Registry client (null: none). */
    public static Topics of(Names names, OutputFormat captions, OutputFormat deadLetters, OutputFormat alerts, SchemaRegistryClient registry) {
        return new Topics(
                new Topic<>(names.frames(), Serdes.String(), AvroSerde.of(VideoFrame.class, registry)),
                new Topic<>(names.segments(), Serdes.String(), AvroSerde.of(VideoSegment.class, registry)),
                new Topic<>(names.prompts(), Serdes.String(), AvroSerde.of(NarrationPrompt.class, registry)),
                new Topic<>(names.promptTable(), Serdes.String(), AvroSerde.of(PromptEntry.class)),
                new Topic<>(names.captions(), Serdes.String(), captions.serde(Caption.class, names.captions(), registry)),
                new Topic<>(names.deadLetters(), Serdes.String(), deadLetters.serde(DeadLetter.class, names.deadLetters(), registry)),
                new Topic<>(names.alertRules(), Serdes.String(), AvroSerde.of(AlertRule.class, registry)),
                new Topic<>(names.alertRuleTable(), Serdes.String(), AvroSerde.of(AlertRuleEntry.class)),
                new Topic<>(names.alerts(), Serdes.String(), alerts.serde(Alert.class, names.alerts(), registry)));
    }

    /** The frames topic's value serde (single-object or registry-framed Avro). */
    public AvroSerde<VideoFrame> frameSerde() {
        return (AvroSerde<VideoFrame>) frames.valueSerde();
    }

    /** The segments topic's value serde. */
    public AvroSerde<VideoSegment> segmentSerde() {
        return (AvroSerde<VideoSegment>) segments.valueSerde();
    }

    /** The prompts topic's value serde. */
    public AvroSerde<NarrationPrompt> promptSerde() {
        return (AvroSerde<NarrationPrompt>) prompts.valueSerde();
    }

    /** The captions topic's value serde: writes the configured format, reads any. */
    public OutputSerde<Caption> captionSerde() {
        return (OutputSerde<Caption>) captions.valueSerde();
    }

    /** The alerts topic's value serde: writes the configured format, reads any. */
    public OutputSerde<Alert> alertSerde() {
        return (OutputSerde<Alert>) alerts.valueSerde();
    }

    /** The dead-letters topic's value serde: writes the configured format, reads any. */
    public OutputSerde<DeadLetter> deadLetterSerde() {
        return (OutputSerde<DeadLetter>) deadLetters.valueSerde();
    }

    /**
     * Resolves what the output topics' formats need before the first record (registers or looks up their schemas in the
     * Schema Registry), so that a registry that refuses them or cannot be reached stops start-up with one line.
     *
     * @throws SchemaRegistryClient.SchemaRegistryException saying which schema and why
     */
    public void prepareOutputs() {
        captionSerde().prepare();
        deadLetterSerde().prepare();
        alertSerde().prepare();
    }

    /** All names, inputs first. */
    public List<String> names() {
        return List.of(frames.name(), segments.name(), prompts.name(), promptTable.name(), alertRules.name(), alertRuleTable.name(), captions.name(),
                deadLetters.name(), alerts.name());
    }
}
