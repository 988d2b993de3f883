package io.narrator.stream;

import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.state.PromptEntry;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Validates records of the prompts topic: a valid prompt goes to the prompt table (with its version,
 * {@code <key>@<offset>}), a tombstone removes the key's prompt, anything malformed is a dead letter
 * and the previous prompt stays in force.
 */
final class PromptValidatorProcessor implements Processor<byte[], byte[], String, Object> {
    private final PromptLibrary library;
    private final NarratorMetrics metrics;
    private final NarratorConfig config;
    private final AvroSerde<NarrationPrompt> serde = AvroSerde.of(NarrationPrompt.class);
    private ProcessorContext<String, Object> context;

    PromptValidatorProcessor(PromptLibrary library, NarratorMetrics metrics, NarratorConfig config) {
        this.library = library;
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
            String key = DeadLetters.requireStreamId(record.key());
            if (record.value() == null) {
                context.forward(new Record<String, Object>(key, null, Math.max(0, record.timestamp())), NarratorTopology.PROMPT_TABLE_SINK);
                return;
            }
            DeadLetters.requireSize(record.value(), config.maxRecordBytes());
            NarrationPrompt prompt = DeadLetters.decode(serde, record.value());
            RecordMetadata origin = context.recordMetadata().orElseThrow();
            String version = key + "@" + origin.offset();
            library.compile(version, prompt);
            context.forward(new Record<String, Object>(key, new PromptEntry(version, prompt), Math.max(0, record.timestamp())),
                    NarratorTopology.PROMPT_TABLE_SINK);
        } catch (RejectedRecordException e) {
            DeadLetters.send(context, metrics, record, e);
        }
    }
}
