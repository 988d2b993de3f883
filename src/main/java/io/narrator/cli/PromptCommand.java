package io.narrator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.avro.DeadLetter;
import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.PromptExample;
import io.narrator.avro.state.PromptEntry;
import io.narrator.ingest.FpsSampler;
import io.narrator.ingest.MpegTsClip;
import io.narrator.ingest.SegmentDecoder;
import io.narrator.ingest.VideoSource;
import io.narrator.stream.AvroSerde;
import io.narrator.stream.OutputSerde;
import io.narrator.stream.GenerationSettings;
import io.narrator.stream.NarratorConfig;
import io.narrator.stream.Topics;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code narrator prompt}: few-shot prompts of streams, on the compacted prompts topic. */
@Command(name = "prompt", header = "Set, show or clear the few-shot prompt of a stream.",
        mixinStandardHelpOptions = true,
        description = "Manages few-shot prompts: examples (an image or a short clip, and what to say about it) put before every clip of a stream, or of every stream without a prompt of its own (--default). A running narrator validates a new prompt and uses it from the next clip; a malformed one, or one the model cannot use (more examples, bytes or tokens than prompt.max.examples, prompt.max.bytes or the model's context allow), goes to the dead-letter topic and the old one stays.",
        subcommands = {PromptCommand.Set.class, PromptCommand.Get.class, PromptCommand.Clear.class})
final class PromptCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Whose prompt: one stream's or the default one. */
    static final class Target {
        @Option(names = "--stream-id", paramLabel = "ID", description = "The stream's prompt.")
        String streamId;

        @Option(names = "--default", description = "The default prompt, for streams without their own.")
        boolean defaultPrompt;

        String key(NarratorConfig config) {
            if (defaultPrompt) return config.defaultPromptKey();
            if (streamId == null || streamId.isBlank()) throw new IllegalArgumentException("--stream-id is empty");
            return streamId.strip();
        }

        String describe(NarratorConfig config) {
            return defaultPrompt ? "the default prompt (key " + config.defaultPromptKey() + ")" : "the prompt of stream " + key(config);
        }
    }

    /** {@code narrator prompt set}. */
    @Command(name = "set", header = "Publish a prompt for a stream or the default prompt.",
            mixinStandardHelpOptions = true, sortOptions = false,
            description = "Publishes a prompt. MEDIA is a JPEG/PNG image (sent as it is) or a short clip — a video file or a folder of frames — sent as MPEG-TS and sampled like a stream (at most as many frames as the model takes, 8 for narrator-tiny). Generation settings and window/hop left out take the narrator's configured defaults.",
            footer = {"", "Examples:",
                    "  narrator prompt set --stream-id cam-1 --example red.png 'a red circle' \\",
                    "      --example blue.mp4 'a blue square moves left'",
                    "  narrator prompt set --default --example car.jpg 'Colour: red' --max-tokens 4",
                    "  narrator prompt set --stream-id door --window-seconds 4 --hop-seconds 2 --beams 1"})
    static final class Set implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Target target;

        @Option(names = {"-e", "--example"}, arity = "2", paramLabel = "MEDIA TEXT", description = "An example: media and its text; repeat in order.")
        List<String> examples = new ArrayList<>();

        @Option(names = "--max-tokens", paramLabel = "N", description = "At most N new tokens per caption.")
        Integer maxTokens;

        @Option(names = "--beams", paramLabel = "N", description = "Beam-search width (1 = greedy).")
        Integer beams;

        @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling threshold in (0, 1); implies one beam.")
        Double topP;

        @Option(names = "--window-seconds", paramLabel = "S", description = "Clip length for this stream.")
        Integer windowSeconds;

        @Option(names = "--hop-seconds", paramLabel = "S", description = "A clip every S seconds for this stream.")
        Integer hopSeconds;

        @Mixin KafkaOptions kafka;

        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            NarratorConfig config = kafka.clientConfig();
            String key = target.key(config);
            checkSettings(config);
            PrintWriter out = spec.commandLine().getOut();
            List<PromptExample> list = new ArrayList<>();
            for (int i = 0; i < examples.size(); i += 2) {
                String media = examples.get(i);
                String text = examples.get(i + 1);
                if (text.isBlank()) throw new IllegalArgumentException("example " + (i / 2 + 1) + " (" + media + ") has no text");
                PromptExample example = example(media, text.strip());
                list.add(example);
                out.printf(Locale.ROOT, "example %d: %s -> %s, %,d bytes%s, \"%s\"%n", i / 2 + 1, media, example.getMediaType(),
                        example.getMedia().remaining(), frames(example, config), example.getText());
            }
            NarrationPrompt prompt = NarrationPrompt.newBuilder().setExamples(list).setMaxTokens(maxTokens).setBeams(beams).setTopP(topP)
                    .setWindowSeconds(windowSeconds).setHopSeconds(hopSeconds).build();
            byte[] value = AvroSerde.of(NarrationPrompt.class).encode(prompt);
            if (value.length > config.maxRecordBytes())
                throw new IllegalArgumentException("the prompt is " + value.length + " bytes, more than max.record.bytes=" + config.maxRecordBytes()
                        + ": use smaller images or shorter clips");
            kafka.prepare(config);
            RecordMetadata at = send(config, kafka.connectTimeout(), key, value);
            out.printf("set %s: %d example(s), %s partition %d offset %d (version %s@%d)%n", target.describe(config), list.size(), at.topic(),
                    at.partition(), at.offset(), key, at.offset());
            out.println("a running narrator validates it and uses it from the next clip; `narrator prompt get` shows whether it is in force");
            return 0;
        }

        private void checkSettings(NarratorConfig config) {
            GenerationSettings d = config.generation();
            boolean sampling = topP != null && topP > 0 && topP < 1;
            new GenerationSettings(maxTokens != null ? maxTokens : d.maxTokens(), beams != null ? beams : sampling ? 1 : d.beams(),
                    topP != null ? topP : d.topP());
            if (windowSeconds != null && windowSeconds <= 0) throw new IllegalArgumentException("--window-seconds must be positive, got " + windowSeconds);
            if (hopSeconds != null && hopSeconds <= 0) throw new IllegalArgumentException("--hop-seconds must be positive, got " + hopSeconds);
            int window = windowSeconds != null ? windowSeconds : config.windowSeconds();
            int hop = hopSeconds != null ? hopSeconds : config.hopSeconds();
            if (hop > window)
                throw new IllegalArgumentException("hop " + hop + " s is longer than window " + window + " s: frames between windows would never be narrated");
        }

        private static PromptExample example(String media, String text) throws IOException {
            VideoSource source = VideoSource.parse(media);
            if (source.kind() == VideoSource.Kind.FILE) {
                byte[] bytes = Files.readAllBytes(Path.of(source.location()));
                Optional<String> image = imageType(bytes);
                if (image.isPresent()) return new PromptExample(image.get(), ByteBuffer.wrap(bytes), text);
            }
            return new PromptExample("MPEGTS", ByteBuffer.wrap(MpegTsClip.of(media)), text);
        }

        private static String frames(PromptExample example, NarratorConfig config) {
            if (!example.getMediaType().equals("MPEGTS")) return "";
            byte[] bytes = new byte[example.getMedia().remaining()];
            example.getMedia().duplicate().get(bytes);
            int kept = SegmentDecoder.decode(SegmentDecoder.Container.MPEGTS, null, bytes, 0, config.sampler(), FpsSampler.NONE, config.maxPixels()).kept().size();
            return String.format(Locale.ROOT, ", %d frame(s) at %s fps", kept, config.sampleFps());
        }
    }

    /** {@code narrator prompt get}. */
    @Command(name = "get", header = "Show a prompt and whether it is in force.",
            mixinStandardHelpOptions = true,
            description = "Shows the prompt of a stream (or the default one) and whether a narrator has put it in force or rejected it.",
            footer = {"", "Examples:", "  narrator prompt get --stream-id cam-1", "  narrator prompt get --default --json"})
    static final class Get implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Target target;

        @Option(names = "--json", description = "Print the prompt and its status as JSON.")
        boolean json;

        @Mixin KafkaOptions kafka;

        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            NarratorConfig config = kafka.clientConfig();
            String key = target.key(config);
            kafka.prepare(config);
            Topics topics = Topics.from(config);
            Duration timeout = kafka.connectTimeout();
            ConsumerRecord<String, byte[]> latest = null;
            for (ConsumerRecord<String, byte[]> r : TopicSnapshot.read(config, topics.prompts().name(), timeout))
                if (key.equals(r.key())) latest = r;
            PrintWriter out = spec.commandLine().getOut();
            ObjectMapper mapper = new ObjectMapper();
            if (latest == null || latest.value() == null) {
                String none = target.defaultPrompt ? "no default prompt is set: streams without a prompt of their own are narrated zero-shot"
                        : "stream " + key + " has no prompt of its own: the default prompt, if any, applies";
                if (json) out.println(mapper.createObjectNode().put("key", key).putNull("prompt").put("status", "none").toPrettyString());
                else out.println(none);
                return 0;
            }
            NarrationPrompt prompt = topics.promptSerde().decode(latest.value());
            String version = key + "@" + latest.offset();
            String status = status(config, topics, key, version, latest, timeout);
            if (json) {
                ObjectNode n = mapper.createObjectNode();
                n.put("key", key);
                n.put("version", version);
                n.put("status", status);
                ObjectNode p = n.putObject("prompt");
                putNullable(p, "maxTokens", prompt.getMaxTokens());
                putNullable(p, "beams", prompt.getBeams());
                if (prompt.getTopP() == null) p.putNull("topP");
                else p.put("topP", prompt.getTopP());
                putNullable(p, "windowSeconds", prompt.getWindowSeconds());
                putNullable(p, "hopSeconds", prompt.getHopSeconds());
                var list = p.putArray("examples");
                for (PromptExample e : prompt.getExamples())
                    list.addObject().put("mediaType", e.getMediaType()).put("bytes", e.getMedia().remaining()).put("text", e.getText());
                out.println(n.toPrettyString());
                return 0;
            }
            out.printf("%s: version %s, %s%n", capitalised(target.describe(config)), version, status);
            out.printf("  settings  max tokens %s, beams %s, top-p %s, window %s, hop %s%n", orDefault(prompt.getMaxTokens(), ""),
                    orDefault(prompt.getBeams(), ""), orDefault(prompt.getTopP(), ""), orDefault(prompt.getWindowSeconds(), " s"),
                    orDefault(prompt.getHopSeconds(), " s"));
            int i = 0;
            for (PromptExample e : prompt.getExamples())
                out.printf(Locale.ROOT, "  example %d  %s, %,d bytes: \"%s\"%n", ++i, e.getMediaType(), e.getMedia().remaining(), e.getText());
            if (i == 0) out.println("  no examples (zero-shot)");
            return 0;
        }

        /** In force (in the prompt table), rejected (a dead letter), or waiting for a narrator. */
        private static String status(NarratorConfig config, Topics topics, String key, String version, ConsumerRecord<String, byte[]> record,
                Duration timeout) {
            AvroSerde<PromptEntry> entries = AvroSerde.of(PromptEntry.class);
            String current = null;
            for (ConsumerRecord<String, byte[]> r : TopicSnapshot.read(config, topics.promptTable().name(), timeout))
                if (key.equals(r.key())) current = r.value() == null ? null : entries.decode(r.value()).getVersion();
            if (version.equals(current)) return "in force";
            OutputSerde<DeadLetter> letters = topics.deadLetterSerde();
            for (ConsumerRecord<String, byte[]> r : TopicSnapshot.read(config, topics.deadLetters().name(), timeout)) {
                if (!key.equals(r.key()) || r.value() == null) continue;
                DeadLetter d = letters.decode(r.value());
                if (d.getOriginTopic().equals(record.topic()) && d.getOriginPartition() == record.partition() && d.getOriginOffset() == record.offset())
                    return "rejected by the narrator (" + d.getReason() + ": " + d.getMessage() + ")" + (current != null ? "; " + current + " stays in force" : "");
            }
            return "not validated yet (is a narrator running?)" + (current != null ? "; " + current + " is in force" : "");
        }

        private static void putNullable(ObjectNode n, String field, Integer value) {
            if (value == null) n.putNull(field);
            else n.put(field, value);
        }

        private static String orDefault(Object value, String unit) {
            return value == null ? "default" : value + unit;
        }

        private static String capitalised(String s) {
            return Character.toUpperCase(s.charAt(0)) + s.substring(1);
        }
    }

    /** {@code narrator prompt clear}. */
    @Command(name = "clear", header = "Remove a prompt.",
            mixinStandardHelpOptions = true,
            description = "Removes a stream's prompt (it falls back to the default prompt), or the default prompt (zero-shot).",
            footer = {"", "Examples:", "  narrator prompt clear --stream-id cam-1", "  narrator prompt clear --default"})
    static final class Clear implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Target target;

        @Mixin KafkaOptions kafka;

        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            NarratorConfig config = kafka.clientConfig();
            String key = target.key(config);
            kafka.prepare(config);
            RecordMetadata at = send(config, kafka.connectTimeout(), key, null);
            spec.commandLine().getOut().printf("cleared %s (%s partition %d offset %d)%n", target.describe(config), at.topic(), at.partition(), at.offset());
            return 0;
        }
    }

    /** Sends one record (or a tombstone) to the prompts topic and waits for the broker's acknowledgement. */
    static RecordMetadata send(NarratorConfig config, Duration timeout, String key, byte[] value) throws InterruptedException {
        Properties p = config.clientProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(config.maxRecordBytes() + (64 << 10)));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(timeout.toMillis()));
        String topic = Topics.from(config).prompts().name();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            return producer.send(new ProducerRecord<>(topic, key, value)).get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot publish to Kafka topic " + topic + ": " + KafkaOptions.rootMessage(e));
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka did not acknowledge the prompt within " + timeout.toSeconds() * 2 + " s");
        }
    }

    /** JPEG or PNG, by the image's own header; empty for anything else. */
    static Optional<String> imageType(byte[] bytes) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) return Optional.empty();
            String format = readers.next().getFormatName().toLowerCase(Locale.ROOT);
            if (format.equals("jpeg") || format.equals("jpg")) return Optional.of("JPEG");
            if (format.equals("png")) return Optional.of("PNG");
            return Optional.empty();
        }
    }
}
