package io.narrator.stream;

import io.narrator.avro.state.AlertRuleEntry;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global alert-rule table (every instance reads every validated rule, so default rules reach all partitions)
 * and puts each rule in force in {@link AlertRules}; runs again over the table on restore.
 */
final class AlertRuleTableProcessor implements Processor<String, byte[], Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(AlertRuleTableProcessor.class);

    private final AlertRules rules;
    private final NarratorMetrics metrics;
    private final AvroSerde<AlertRuleEntry> serde = AvroSerde.of(AlertRuleEntry.class);
    private KeyValueStore<String, byte[]> store;

    AlertRuleTableProcessor(AlertRules rules, NarratorMetrics metrics) {
        this.rules = rules;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(NarratorStores.ALERT_RULES);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) return; // the validator never writes one
        AlertRuleKey key;
        try {
            key = AlertRuleKey.parse(record.key());
        } catch (IllegalArgumentException e) {
            LOG.error("alert-rule table record with key '{}' ignored: {}", record.key(), e.getMessage());
            metrics.alertRule("unusable");
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
            rules.remove(key);
            metrics.alertRule("removed");
            LOG.info("alert rule {} removed", record.key());
            return;
        }
        try {
            AlertRuleEntry entry = serde.decode(record.value());
            rules.install(rules.compile(entry.getVersion(), key, entry.getRule()));
            store.put(record.key(), record.value());
            metrics.alertRule("applied");
            LOG.info("alert rule {} in force", entry.getVersion());
        } catch (RuntimeException e) {
            // validated before it was written, so the model or configuration changed since: keep the previous version
            LOG.error("alert rule {} in the alert-rule table cannot be used; its previous version stays in force", record.key(), e);
            metrics.alertRule("unusable");
        }
    }
}
