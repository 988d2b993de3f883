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

/** Narrator's topics with their serdes; keys are stream ids (UTF-8) everywhere. */
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

    /** The topics named in the configuration. */
    public static Topics from(NarratorConfig config) {
        return of(config.topics());
    }

    /** The topics with the given names. */
    public static Topics of(Names names) {
        return new Topics(
                new Topic<>(names.frames(), Serdes.String(), AvroSerde.of(VideoFrame.class)),
                new Topic<>(names.segments(), Serdes.String(), AvroSerde.of(VideoSegment.class)),
                new Topic<>(names.prompts(), Serdes.String(), AvroSerde.of(NarrationPrompt.class)),
                new Topic<>(names.promptTable(), Serdes.String(), AvroSerde.of(PromptEntry.class)),
                new Topic<>(names.captions(), Serdes.String(), AvroSerde.of(Caption.class)),
                new Topic<>(names.deadLetters(), Serdes.String(), AvroSerde.of(DeadLetter.class)),
                new Topic<>(names.alertRules(), Serdes.String(), AvroSerde.of(AlertRule.class)),
                new Topic<>(names.alertRuleTable(), Serdes.String(), AvroSerde.of(AlertRuleEntry.class)),
                new Topic<>(names.alerts(), Serdes.String(), alertSerde()));
    }

    /** How Alert records are written to the alerts topic: the one place that decides it. */
    static org.apache.kafka.common.serialization.Serde<Alert> alertSerde() {
        return AvroSerde.of(Alert.class);
    }

    /** All names, inputs first. */
    public List<String> names() {
        return List.of(frames.name(), segments.name(), prompts.name(), promptTable.name(), alertRules.name(), alertRuleTable.name(), captions.name(),
                deadLetters.name(), alerts.name());
    }
}
