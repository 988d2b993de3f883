package io.narrator.stream;

import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.state.PendingPrompt;
import io.narrator.avro.state.PromptEntry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Validates records of the prompts topic without making the stream thread wait: a valid prompt goes to the prompt
 * table (with its version, {@code <key>@<offset>}), a tombstone removes the key's prompt, anything malformed or too
 * long for the model is a dead letter and the previous prompt stays in force.
 *
 * <p>On the stream thread a record is only checked for what costs nothing (its key, its size, that it is a
 * {@code NarrationPrompt}) and kept in a state store by offset; the {@link PromptLibrary} validates the kept prompts
 * one at a time per task, oldest first, on its own thread, and this processor forwards each outcome (from
 * {@code process} or a wall-clock punctuator) and deletes the kept record in the same transaction. So outcomes keep
 * the topic's order (a tombstone that arrives while an earlier prompt waits waits behind it), a crash before a commit
 * validates the kept records again, and only one prompt per task is held in memory.
 */
final class PromptValidatorProcessor implements Processor<byte[], byte[], String, Object> {
    private final PromptLibrary library;
    private final NarratorMetrics metrics;
    private final NarratorConfig config;
    private final AvroSerde<NarrationPrompt> serde;
    private ProcessorContext<String, Object> context;
    private KeyValueStore<Long, PendingPrompt> waiting;
    private int waitingCount;
    /** The oldest waiting prompt while the library validates it. */
    private Validating validating;

    private record Validating(PendingPrompt pending, NarrationPrompt prompt, CompletableFuture<CompiledPrompt> result) {}

    PromptValidatorProcessor(PromptLibrary library, NarratorMetrics metrics, NarratorConfig config, AvroSerde<NarrationPrompt> serde) {
        this.library = library;
        this.serde = serde;
        this.metrics = metrics;
        this.config = config;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.waiting = context.getStateStore(NarratorStores.PENDING_PROMPTS);
        try (KeyValueIterator<Long, PendingPrompt> all = waiting.all()) {
            while (all.hasNext()) {
                all.next();
                waitingCount++;
            }
        }
        metrics.promptsWaiting(waitingCount);
        context.schedule(Duration.ofMillis(config.drainIntervalMs()), PunctuationType.WALL_CLOCK_TIME, now -> advance());
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        try {
            String key = DeadLetters.requireStreamId(record.key());
            RecordMetadata origin = context.recordMetadata().orElseThrow();
            long timestamp = Math.max(0, record.timestamp());
            if (record.value() == null) {
                if (waitingCount == 0) context.forward(new Record<String, Object>(key, null, timestamp), NarratorTopology.PROMPT_TABLE_SINK);
                else keep(new PendingPrompt(key, null, timestamp, origin.topic(), origin.partition(), origin.offset()));
                return;
            }
            DeadLetters.requireSize(record.value(), config.maxRecordBytes());
            DeadLetters.decode(serde, record.value());
            keep(new PendingPrompt(key, ByteBuffer.wrap(record.value()), timestamp, origin.topic(), origin.partition(), origin.offset()));
            advance();
        } catch (RejectedRecordException e) {
            DeadLetters.send(context, metrics, record, e);
        }
    }

    @Override
    public void close() {
        if (validating != null) validating.result().cancel(false);
        metrics.promptsWaiting(-waitingCount);
    }

    private void keep(PendingPrompt pending) {
        waiting.put(pending.getOriginOffset(), pending);
        waitingCount++;
        metrics.promptsWaiting(1);
    }

    /** Forwards the outcomes known so far, oldest first, and hands the next waiting prompt to the library. */
    private void advance() {
        while (true) {
            if (validating != null) {
                if (!validating.result().isDone()) return;
                finish(validating);
                validating = null;
            }
            KeyValue<Long, PendingPrompt> oldest;
            try (KeyValueIterator<Long, PendingPrompt> all = waiting.all()) {
                if (!all.hasNext()) return;
                oldest = all.next();
            }
            PendingPrompt pending = oldest.value;
            if (pending.getValue() == null) {
                context.forward(new Record<String, Object>(pending.getKey(), null, pending.getTimestampMillis()), NarratorTopology.PROMPT_TABLE_SINK);
                forget(pending);
                continue;
            }
            NarrationPrompt prompt;
            try {
                prompt = DeadLetters.decode(serde, Buffers.toArray(pending.getValue()));
            } catch (RejectedRecordException e) { // checked on arrival; only a record kept by an older build gets here
                deadLetter(pending, e);
                forget(pending);
                continue;
            }
            validating = new Validating(pending, prompt, library.compileLater(version(pending), prompt));
        }
    }

    private void finish(Validating done) {
        PendingPrompt pending = done.pending();
        try {
            done.result().join();
            context.forward(new Record<String, Object>(pending.getKey(), new PromptEntry(version(pending), done.prompt()), pending.getTimestampMillis()),
                    NarratorTopology.PROMPT_TABLE_SINK);
        } catch (CompletionException e) {
            RejectedRecordException rejected = e.getCause() instanceof RejectedRecordException r ? r
                    : new RejectedRecordException(DeadLetterReason.MALFORMED_PROMPT, "validating the prompt failed: " + NarrationEngine.describe(e.getCause()));
            deadLetter(pending, rejected);
        }
        forget(pending);
    }

    private void deadLetter(PendingPrompt pending, RejectedRecordException e) {
        DeadLetters.send(context, metrics, pending.getOriginTopic(), pending.getOriginPartition(), pending.getOriginOffset(), pending.getKey(),
                Buffers.toArray(pending.getValue()), e);
    }

    private void forget(PendingPrompt pending) {
        waiting.delete(pending.getOriginOffset());
        waitingCount--;
        metrics.promptsWaiting(-1);
    }

    private static String version(PendingPrompt pending) {
        return pending.getKey() + "@" + pending.getOriginOffset();
    }
}
