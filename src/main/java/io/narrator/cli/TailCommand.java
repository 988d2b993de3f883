package io.narrator.cli;

import io.narrator.avro.Caption;
import io.narrator.stream.AvroSerde;
import io.narrator.stream.NarratorConfig;
import io.narrator.stream.OutputSerde;
import io.narrator.stream.Topics;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code narrator tail}: follows the captions topic and prints captions as text, JSON lines or subtitles. */
@Command(name = "tail", header = "Follow captions as text, JSON lines, WebVTT or SRT.",
        mixinStandardHelpOptions = true, sortOptions = false,
        description = "Follows the captions topic (committed captions only) until Ctrl-C. Reads captions in every captions.format (Avro single-object, Schema Registry Avro with schema.registry.url in the configuration, JSON). WebVTT and SRT turn a stream's captions into subtitles, timed from the stream's first frame, so the captions of an ingested file line up with it.",
        footer = {"", "Examples:",
                "  narrator tail",
                "  narrator tail --stream-id cam-1 --from-beginning --format webvtt > cam-1.vtt",
                "  narrator tail --format json --bootstrap-servers kafka:9092 --config client.properties | jq .text"})
final class TailCommand implements Callable<Integer> {
    @Option(names = {"-s", "--stream-id"}, paramLabel = "ID", description = "Only this stream's captions (default: every stream).")
    String streamId;

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", defaultValue = "text", description = "text, json, webvtt or srt (default: ${DEFAULT-VALUE}).")
    CaptionFormat format;

    @Option(names = "--from-beginning", description = "Start with the oldest caption still in the topic (default: only new ones).")
    boolean fromBeginning;

    @Option(names = {"-n", "--limit"}, paramLabel = "N", description = "Exit after N captions.")
    Long limit;

    @Mixin KafkaOptions kafka;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        if (limit != null && limit < 1) throw new IllegalArgumentException("--limit must be at least 1, got " + limit);
        if (streamId != null && streamId.isBlank()) throw new IllegalArgumentException("--stream-id is empty");
        NarratorConfig config = kafka.clientConfig();
        kafka.prepare(config);
        Topics topics = Topics.from(config);
        String topic = topics.captions().name();
        OutputSerde<Caption> serde = topics.captionSerde();
        CaptionWriter writer = new CaptionWriter(spec.commandLine().getOut(), format, streamId == null);
        writer.begin();
        long printed = 0;
        try (StopSignal stop = StopSignal.install(); KafkaConsumer<String, byte[]> consumer = Consumers.of(config, topic, fromBeginning, kafka.connectTimeout())) {
            stop.onStop(consumer::wakeup);
            while (!stop.isStopped() && !Thread.currentThread().isInterrupted() && (limit == null || printed < limit)) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (streamId != null && !streamId.equals(r.key())) continue;
                    Caption caption;
                    try {
                        caption = serde.decode(r.value());
                    } catch (AvroSerde.AvroFormatException e) {
                        spec.commandLine().getErr().printf("narrator: skipped record %s-%d@%d: %s%n", r.topic(), r.partition(), r.offset(), e.getMessage());
                        continue;
                    }
                    if (caption == null) continue;
                    writer.write(caption);
                    if (limit != null && ++printed >= limit) break;
                }
            }
        } catch (WakeupException stopped) {
            // Ctrl-C
        } catch (org.apache.kafka.common.errors.InterruptException interrupted) {
            Thread.interrupted();
        }
        return 0;
    }
}
