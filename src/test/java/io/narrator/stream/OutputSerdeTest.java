package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.avro.Caption;
import io.narrator.avro.CaptionLatency;
import io.narrator.avro.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.json.JsonConverter;
import org.junit.jupiter.api.Test;

/** Each output format's bytes, read back by Narrator in any format and by the readers each format is for. */
class OutputSerdeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Caption caption() {
        return Caption.newBuilder().setStreamId("cam-1").setClipIndex(7).setWindowStartMicros(1_700_000_000_000_000L)
                .setWindowEndMicros(1_700_000_008_000_000L).setFrameTimestamps(List.of(1_700_000_000_000_000L, 1_700_000_001_000_000L))
                .setFrameSequences(List.of(0L, 1L)).setText("a red circle moves left").setLogProb(-3.25).setPromptVersion(null)
                .setModelName("narrator-tiny").setModelVersion("1.9.0").setLatency(new CaptionLatency(1L, 2L, 3L, 40L, 46L)).setError(null)
                .setCreatedAtMillis(1_700_000_008_046L).build();
    }

    static DeadLetter deadLetter() {
        return DeadLetter.newBuilder().setOriginTopic("narrator.frames").setOriginPartition(2).setOriginOffset(41).setKey("cam-1")
                .setReason("NOT_AVRO").setMessage("not Avro").setPayloadPrefix(ByteBuffer.wrap(new byte[] {(byte) 0xC3, 0x01, 0, (byte) 0xFF}))
                .setPayloadSize(4).setTimeMillis(1_700_000_000_000L).build();
    }

    @Test
    void avroIsSingleObjectEncoding() {
        OutputSerde<Caption> serde = OutputFormat.AVRO.serde(Caption.class, "narrator.captions", null);
        byte[] bytes = serde.encode(caption());
        assertThat(bytes).isEqualTo(AvroSerde.of(Caption.class).encode(caption()));
        assertThat(serde.decode(bytes)).isEqualTo(caption());
        assertThat(serde.prepare()).isEqualTo(-1);
        assertThat(serde.encode(null)).isNull();
        assertThat(serde.decode(null)).isNull();
    }

    @Test
    void registryIsTheWireFormatWithTheIdOfTheTopicsSubject() throws Exception {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            OutputSerde<Caption> serde = OutputFormat.REGISTRY.serde(Caption.class, "narrator.captions", AvroSerdeTest.client(registry));
            assertThat(serde.subject()).isEqualTo("narrator.captions-value");
            int id = serde.prepare();
            assertThat(registry.versions("narrator.captions-value")).containsExactly(id);
            byte[] bytes = serde.encode(caption());
            assertThat(bytes[0]).isZero();
            assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
            // the body is the binary record of the registered schema, as any registry-aware reader decodes it
            GenericRecord plain = new GenericDatumReader<GenericRecord>(registry.schema(id))
                    .read(null, DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null));
            assertThat(plain.get("text").toString()).isEqualTo("a red circle moves left");
            assertThat(plain.get("logProb")).isEqualTo(-3.25);
            assertThat(serde.decode(bytes)).isEqualTo(caption());
            assertThat(OutputFormat.AVRO.serde(Caption.class, "narrator.captions", AvroSerdeTest.client(registry)).decode(bytes))
                    .as("a subscriber in another format reads it too").isEqualTo(caption());
            serde.encode(caption());
            assertThat(registry.log()).as("the writer registers once; the other subscriber's client fetches the schema by id once")
                    .containsExactly("POST /subjects/narrator.captions-value/versions", "GET /schemas/ids/" + id);
        }
    }

    @Test
    void theRegistryFormatNeedsARegistry() {
        assertThatThrownBy(() -> OutputFormat.REGISTRY.serde(Caption.class, "narrator.captions", null))
                .hasMessage("the registry format of topic narrator.captions needs schema.registry.url");
    }

    @Test
    void jsonIsOneObjectWithTheSchemasFields() throws Exception {
        OutputSerde<Caption> serde = OutputFormat.JSON.serde(Caption.class, "narrator.captions", null);
        byte[] bytes = serde.encode(caption());
        JsonNode json = JSON.readTree(bytes);
        assertThat(json.isObject()).isTrue();
        assertThat(json.fieldNames()).toIterable().containsExactlyElementsOf(Caption.getClassSchema().getFields().stream().map(f -> f.name()).toList());
        assertThat(json.get("streamId").asText()).isEqualTo("cam-1");
        assertThat(json.get("windowEndMicros").asLong()).isEqualTo(1_700_000_008_000_000L);
        assertThat(json.get("logProb").asDouble()).as("a union is its branch's value, unwrapped").isEqualTo(-3.25);
        assertThat(json.get("promptVersion").isNull()).isTrue();
        assertThat(json.get("latency").get("totalMs").asLong()).isEqualTo(46);
        assertThat(serde.decode(bytes)).isEqualTo(caption());

        OutputSerde<DeadLetter> letters = OutputFormat.JSON.serde(DeadLetter.class, "narrator.dead-letters", null);
        JsonNode letter = JSON.readTree(letters.encode(deadLetter()));
        assertThat(letter.get("payloadPrefix").asText()).as("bytes are base64").isEqualTo(Base64.getEncoder().encodeToString(new byte[] {(byte) 0xC3, 0x01, 0, (byte) 0xFF}));
        assertThat(letters.decode(letters.encode(deadLetter()))).isEqualTo(deadLetter());
    }

    @Test
    void jsonIsWhatKafkaConnectsJsonConverterReadsWithSchemasOff() {
        JsonConverter converter = new JsonConverter();
        converter.configure(Map.of("schemas.enable", "false"), false);
        SchemaAndValue read = converter.toConnectData("narrator.captions", OutputFormat.JSON.serde(Caption.class, "narrator.captions", null).encode(caption()));
        assertThat(read.schema()).isNull();
        @SuppressWarnings("unchecked")
        Map<String, Object> value = (Map<String, Object>) read.value();
        assertThat(value).containsEntry("streamId", "cam-1").containsEntry("clipIndex", 7L).containsEntry("text", "a red circle moves left")
                .containsEntry("logProb", -3.25).containsEntry("promptVersion", null).containsEntry("error", null)
                .containsEntry("frameTimestamps", List.of(1_700_000_000_000_000L, 1_700_000_001_000_000L))
                .containsEntry("latency", Map.of("queueMs", 1L, "decodeMs", 2L, "visionMs", 3L, "generationMs", 40L, "totalMs", 46L));
        @SuppressWarnings("unchecked")
        Map<String, Object> letter = (Map<String, Object>) converter.toConnectData("narrator.dead-letters",
                OutputFormat.JSON.serde(DeadLetter.class, "narrator.dead-letters", null).encode(deadLetter())).value();
        assertThat(letter).containsEntry("reason", "NOT_AVRO").containsEntry("originOffset", 41L).containsEntry("payloadPrefix", "wwEA/w==");
    }

    @Test
    void anyRecordTypeTakesAnyFormatEnumsAsTheirSymbols() throws Exception {
        io.narrator.avro.Alert alert = io.narrator.avro.Alert.newBuilder().setStreamId("door").setClipIndex(3).setWindowStartMicros(0).setWindowEndMicros(8_000_000)
                .setRuleId("person").setRuleScope("*").setRuleVersion("*/person@4").setRuleKind(io.narrator.avro.AlertRuleKind.KEYWORD)
                .setPattern("person").setMatchedText("person").setCaption("a person walks in").setModelName("m").setModelVersion("v")
                .setLatencyMs(120).setCreatedAtMillis(1_700_000_000_000L).build();
        OutputSerde<io.narrator.avro.Alert> json = OutputFormat.JSON.serde(io.narrator.avro.Alert.class, "narrator.alerts", null);
        byte[] bytes = json.encode(alert);
        assertThat(JSON.readTree(bytes).get("ruleKind").asText()).isEqualTo("KEYWORD");
        assertThat(json.decode(bytes)).isEqualTo(alert);
        assertThatThrownBy(() -> json.decode(new String(bytes, StandardCharsets.UTF_8).replace("\"KEYWORD\"", "\"GLOB\"").getBytes(StandardCharsets.UTF_8)))
                .hasMessage("not a JSON Alert: Alert.ruleKind is string \"GLOB\", not io.narrator.avro.AlertRuleKind");
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            OutputSerde<io.narrator.avro.Alert> framed = OutputFormat.REGISTRY.serde(io.narrator.avro.Alert.class, "narrator.alerts", AvroSerdeTest.client(registry));
            assertThat(framed.decode(framed.encode(alert))).isEqualTo(alert);
            assertThat(registry.versions("narrator.alerts-value")).hasSize(1);
        }
    }

    @Test
    void nonFiniteNumbersAreStringsThatReadBack() throws Exception {
        Caption odd = Caption.newBuilder(caption()).setLogProb(Double.NEGATIVE_INFINITY).build();
        OutputSerde<Caption> serde = OutputFormat.JSON.serde(Caption.class, "narrator.captions", null);
        byte[] bytes = serde.encode(odd);
        assertThat(JSON.readTree(bytes).get("logProb").asText()).isEqualTo("-Infinity");
        assertThat(serde.decode(bytes)).isEqualTo(odd);
    }

    @Test
    void readingAnyFormatNamesWhatDoesNotFit() {
        OutputSerde<Caption> serde = OutputFormat.AVRO.serde(Caption.class, "narrator.captions", null);
        assertThatThrownBy(() -> serde.decode("{\"streamId\": 5}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(AvroSerde.AvroFormatException.class).hasMessage("not a JSON Caption: Caption.streamId is number 5, not string");
        assertThatThrownBy(() -> serde.decode("{\"streamId\": \"x\"}".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("not a JSON Caption: Caption.clipIndex is missing");
        assertThatThrownBy(() -> serde.decode("{\"streamId\": ".getBytes(StandardCharsets.UTF_8))).hasMessageStartingWith("not a JSON Caption: ");
        assertThatThrownBy(() -> serde.decode("hello".getBytes(StandardCharsets.UTF_8))).hasMessageStartingWith("not Avro single-object encoded Caption");
        byte[] registryFramed = AvroSerdeTest.registryFramed(3, Caption.getClassSchema(), caption());
        assertThatThrownBy(() -> serde.decode(registryFramed)).isInstanceOf(AvroSerde.UnknownSchemaException.class)
                .hasMessageContaining("no schema.registry.url is configured");
    }

    @Test
    void formatsAreParsedByName() {
        assertThat(OutputFormat.parse("captions.format", " Registry ")).isEqualTo(OutputFormat.REGISTRY);
        assertThatThrownBy(() -> OutputFormat.parse("captions.format", "protobuf"))
                .hasMessage("captions.format must be one of avro, registry, json, got 'protobuf'");
        assertThat(NarratorConfig.defaults().captionsFormat()).isEqualTo(OutputFormat.AVRO);
        assertThat(NarratorConfig.of(Map.of("dead.letters.format", "json")).deadLettersFormat()).isEqualTo(OutputFormat.JSON);
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("captions.format", "registry")))
                .hasMessage("captions.format=registry needs schema.registry.url (the Schema Registry to register the schema with)");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("dead.letters.format", "registry")))
                .hasMessage("dead.letters.format=registry needs schema.registry.url (the Schema Registry to register the schema with)");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("dead.letters.format", "xml"))).hasMessage("dead.letters.format must be one of avro, registry, json, got 'xml'");
        assertThat(NarratorConfig.of(Map.of("captions.format", "registry", "schema.registry.url", "http://r:8081")).streamsProperties())
                .as("Narrator's own keys do not reach the Kafka clients").doesNotContainKeys("captions.format", "schema.registry.url");
    }

    @Test
    void topicsUseTheConfiguredFormatsAndRegistry() {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            Topics topics = Topics.from(NarratorConfig.of(Map.of("captions.format", "registry", "dead.letters.format", "json",
                    "schema.registry.url", registry.url(), "topic.prefix", "t.")));
            assertThat(topics.captionSerde().format()).isEqualTo(OutputFormat.REGISTRY);
            assertThat(topics.deadLetterSerde().format()).isEqualTo(OutputFormat.JSON);
            topics.prepareOutputs();
            assertThat(registry.log()).containsExactly("POST /subjects/t.captions-value/versions");
            int id = registry.register("t.frames-value", io.narrator.avro.VideoFrame.getClassSchema());
            io.narrator.avro.VideoFrame frame = TestMedia.frame("cam", 1, 1.0, "red");
            assertThat(topics.frameSerde().decode(AvroSerdeTest.registryFramed(id, io.narrator.avro.VideoFrame.getClassSchema(), frame))).isEqualTo(frame);
        }
    }
}
