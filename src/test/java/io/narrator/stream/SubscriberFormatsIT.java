package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import io.narrator.avro.VideoFrame;
import io.narrator.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each output format on a real broker: {@code narrator run}'s topology (with the fake narration) writes captions and dead
 * letters in the format while reading single-object and registry-framed frames side by side; the records are read back
 * by Narrator (any format), by {@code narrator tail}, and by the format's Python example in docs/examples/ (Debian's
 * python3-confluent-kafka and python3-avro under {@code /usr/bin/python3}), which must print exactly the JSON objects of
 * the {@code json} format.
 */
class SubscriberFormatsIT {
    private static final String PYTHON = "/usr/bin/python3";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static EmbeddedKafkaBroker broker;
    private static FakeSchemaRegistry registry;

    @BeforeAll
    static void start() {
        broker = EmbeddedKafkaBroker.start();
        registry = FakeSchemaRegistry.start();
    }

    @AfterAll
    static void stop() {
        if (registry != null) registry.close();
        if (broker != null) broker.close();
    }

    @ParameterizedTest
    @EnumSource(OutputFormat.class)
    void eachFormatIsReadByNarratorTailAndItsPythonExample(OutputFormat format) throws Exception {
        String name = EndToEnd.unique("formats-" + format.configName());
        Map<String, String> settings = new HashMap<>(Map.of("captions.format", format.configName(), "dead.letters.format", format.configName()));
        boolean withRegistry = format != OutputFormat.AVRO; // the avro run has none: registry-framed inputs are dead letters there
        if (withRegistry) settings.put("schema.registry.url", registry.url());
        NarratorConfig config = KafkaTestSupport.config(broker.bootstrapServers(), name, settings);
        Topics topics = Topics.from(config);
        int frameId = registry.register(topics.frames().name() + "-value", VideoFrame.getClassSchema());

        try (NarratorApp app = NarratorApp.create(config, new FakeNarration());
                KafkaProducer<String, byte[]> producer = KafkaTestSupport.producer(broker.bootstrapServers())) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            String[] colours = {"red", "green", "blue", "yellow"};
            for (int i = 0; i < colours.length; i++) {
                KafkaTestSupport.send(producer, topics, TestMedia.frame("single", i, i, colours[i]));
                producer.send(new ProducerRecord<>(topics.frames().name(), "framed",
                        AvroSerdeTest.registryFramed(frameId, VideoFrame.getClassSchema(), TestMedia.frame("framed", i, i, colours[i]))));
            }
            producer.send(new ProducerRecord<>(topics.frames().name(), "garbage", "not a frame".getBytes(StandardCharsets.UTF_8)));
            producer.flush();

            int expectedCaptions = withRegistry ? 6 : 3;
            int expectedLetters = withRegistry ? 1 : 5;
            List<Caption> captions = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, got -> got.size() >= expectedCaptions);
            assertThat(captions).extracting(c -> c.getStreamId() + ":" + c.getText()).containsExactlyInAnyOrderElementsOf(
                    withRegistry ? List.of("single:frames=red", "single:frames=red,green", "single:frames=green,blue",
                            "framed:frames=red", "framed:frames=red,green", "framed:frames=green,blue")
                            : List.of("single:frames=red", "single:frames=red,green", "single:frames=green,blue"));
            List<DeadLetter> letters = KafkaTestSupport.readDeadLetters(broker.bootstrapServers(), topics, got -> got.size() >= expectedLetters);
            assertThat(letters).hasSize(expectedLetters);
            assertThat(letters).filteredOn(d -> d.getKey().equals("garbage")).extracting(DeadLetter::getReason).containsExactly("NOT_AVRO");
            if (!withRegistry)
                assertThat(letters).filteredOn(d -> d.getKey().equals("framed")).hasSize(4).allSatisfy(d -> {
                    assertThat(d.getReason()).isEqualTo("UNKNOWN_SCHEMA_ID");
                    assertThat(d.getMessage()).contains("no schema.registry.url is configured");
                });

            // the bytes on the topics are the format's
            for (byte[] value : KafkaTestSupport.readRaw(broker.bootstrapServers(), topics.captions().name(), got -> got.size() >= expectedCaptions))
                assertFormat(format, value, topics.captions().name());
            for (byte[] value : KafkaTestSupport.readRaw(broker.bootstrapServers(), topics.deadLetters().name(), got -> got.size() >= expectedLetters))
                assertFormat(format, value, topics.deadLetters().name());

            // the format's Python example prints each record as the json format's object
            assertThat(python(format, topics.captions().name(), "Caption.avsc", name, expectedCaptions))
                    .containsExactlyInAnyOrderElementsOf(captions.stream().map(SubscriberFormatsIT::json).toList());
            assertThat(python(format, topics.deadLetters().name(), "DeadLetter.avsc", name, expectedLetters))
                    .containsExactlyInAnyOrderElementsOf(letters.stream().map(SubscriberFormatsIT::json).toList());

            // narrator tail reads the format
            Path file = Files.createTempFile(Path.of("target"), "tail-" + name, ".properties");
            StringBuilder properties = new StringBuilder("topic.prefix=" + name + ".\ntopic.partitions=" + config.topicPartitions() + "\n");
            if (withRegistry) properties.append("schema.registry.url=").append(registry.url()).append('\n');
            Files.writeString(file, properties);
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), "tail", "--bootstrap-servers", broker.bootstrapServers(),
                    "--config", file.toString(), "--from-beginning", "--limit", String.valueOf(expectedCaptions), "--format", "json");
            assertThat(code).as("tail: %s", err).isZero();
            List<String> texts = new ArrayList<>();
            for (String line : out.toString().split("\\R")) if (!line.isBlank()) texts.add(JSON.readTree(line).get("text").asText());
            assertThat(texts).containsExactlyInAnyOrderElementsOf(captions.stream().map(Caption::getText).toList());
        }
    }

    /** The record as the json format writes it, parsed as any JSON text is (so numbers compare by value). */
    private static JsonNode json(org.apache.avro.generic.IndexedRecord record) {
        try {
            return JSON.readTree(JsonRecords.toBytes(record));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assertFormat(OutputFormat format, byte[] value, String topic) {
        switch (format) {
            case AVRO -> assertThat(value).startsWith((byte) 0xC3, (byte) 0x01);
            case REGISTRY -> {
                assertThat(value[0]).isZero();
                assertThat(registry.versions(topic + "-value")).containsExactly(ByteBuffer.wrap(value, 1, 4).getInt());
            }
            case JSON -> assertThat(value[0]).isEqualTo((byte) '{');
        }
    }

    /** The JSON lines the format's example prints for the first {@code limit} records of {@code topic}. */
    private static List<JsonNode> python(OutputFormat format, String topic, String schema, String group, int limit) throws Exception {
        List<String> command = new ArrayList<>(List.of(PYTHON, "docs/examples/consume_" + format.configName() + ".py",
                "--bootstrap", broker.bootstrapServers(), "--topic", topic, "--group", group + "-" + schema, "--from-beginning",
                "--limit", String.valueOf(limit), "--timeout", "60"));
        if (format == OutputFormat.AVRO) command.addAll(List.of("--schema", "schemas/" + schema));
        if (format == OutputFormat.REGISTRY) command.addAll(List.of("--registry", registry.url()));
        Process process = new ProcessBuilder(command).start();
        byte[] stdout = process.getInputStream().readAllBytes();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        String out = new String(stdout, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("%s%nstdout:%n%s%nstderr:%n%s", command, out, err).isZero();
        List<JsonNode> records = new ArrayList<>();
        for (String line : out.split("\\R")) if (!line.isBlank()) records.add(JSON.readTree(line));
        return records;
    }
}
