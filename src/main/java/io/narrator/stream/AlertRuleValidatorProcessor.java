package io.narrator.stream;

import io.narrator.avro.AlertRule;
import io.narrator.avro.state.AlertRuleEntry;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Validates records of the alert-rules topic: a valid rule goes to the alert-rule table with its version
 * ({@code <scope>/<rule id>@<offset>}), a tombstone removes the key's rule, anything else is a dead letter with the
 * reason and the rule's previous version stays in force.
 *
 * <p>Like the prompts' validator it forwards outcomes in the topic's order and never holds a record in memory; unlike
 * it, it validates on the stream thread, in {@code process}: a rule has no media to decode, only a few texts to
 * tokenize and a pattern to compile ({@link AlertRules#compile}), so nothing needs to wait for another thread.
 */
final class AlertRuleValidatorProcessor implements Processor<byte[], byte[], String, Object> {
    private final AlertRules rules;
    private final NarratorMetrics metrics;
    private final NarratorConfig config;
    private final AvroSerde<AlertRule> serde = AvroSerde.of(AlertRule.class);
    private ProcessorContext<String, Object> context;

    AlertRuleValidatorProcessor(AlertRules rules, NarratorMetrics metrics, NarratorConfig config) {
        this.rules = rules;
        this.metrics = metrics;
        this.config = config;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        try {
            String text = DeadLetters.requireStreamId(record.key());
            AlertRuleKey key;
            try {
                key = AlertRuleKey.parse(text);
            } catch (IllegalArgumentException e) {
                throw new RejectedRecordException(DeadLetterReason.MALFORMED_ALERT_RULE, e.getMessage());
            }
            long timestamp = Math.max(0, record.timestamp());
            if (record.value() == null) {
                context.forward(new Record<String, Object>(key.key(), null, timestamp), NarratorTopology.ALERT_RULE_TABLE_SINK);
                return;
            }
            DeadLetters.requireSize(record.value(), config.maxRecordBytes());
            AlertRule rule = DeadLetters.decode(serde, record.value());
            RecordMetadata origin = context.recordMetadata().orElseThrow();
            String version = key.key() + "@" + origin.offset();
            rules.compile(version, key, rule);
            context.forward(new Record<String, Object>(key.key(), new AlertRuleEntry(version, rule), timestamp), NarratorTopology.ALERT_RULE_TABLE_SINK);
        } catch (RejectedRecordException e) {
            DeadLetters.send(context, metrics, record, e);
        }
    }
}
