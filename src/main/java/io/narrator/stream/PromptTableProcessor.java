package io.narrator.stream;

import io.narrator.avro.state.PromptEntry;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global prompt table (every instance reads every validated prompt, so the default prompt
 * reaches all partitions) and puts each prompt in force in the {@link PromptLibrary}; runs again
 * over the table on restore.
 */
final class PromptTableProcessor implements Processor<String, byte[], Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(PromptTableProcessor.class);

    private final PromptLibrary library;
    private final NarratorMetrics metrics;
    private final AvroSerde<PromptEntry> serde = AvroSerde.of(PromptEntry.class);
    private KeyValueStore<String, byte[]> store;

    PromptTableProcessor(PromptLibrary library, NarratorMetrics metrics) {
        this.library = library;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(NarratorStores.PROMPTS);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) return; // the validator never writes one
        if (record.value() == null) {
            store.delete(record.key());
            library.remove(record.key());
            metrics.prompt("removed");
            LOG.info("prompt for {} removed", record.key());
            return;
        }
        try {
            PromptEntry entry = serde.decode(record.value());
            library.install(record.key(), library.get(entry.getVersion(), entry.getPrompt()));
            store.put(record.key(), record.value());
            metrics.prompt("applied");
            LOG.info("prompt {} in force", entry.getVersion());
        } catch (RuntimeException e) {
            // validated before it was written, so this means the model or limits changed since: keep the previous prompt
            LOG.error("prompt for {} in the prompt table cannot be used; the previous prompt stays in force", record.key(), e);
            metrics.prompt("unusable");
        }
    }
}
