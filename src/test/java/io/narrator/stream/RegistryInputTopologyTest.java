package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.VideoFrame;
import io.narrator.avro.VideoSegment;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.Test;

/**
 * Inputs in the Schema Registry wire format next to single-object ones, with and without a registry configured, and
 * outputs in each format, through the topology.
 */
class RegistryInputTopologyTest {
    @Test
    void registryFramedFramesSegmentsAndPromptsAreNarratedBesideSingleObjectOnes() {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start();
                TopologyHarness h = new TopologyHarness(Map.of("schema.registry.url", registry.url()))) {
            int frameId = registry.register("narrator.frames-value", VideoFrame.getClassSchema());
            int promptId = registry.register("narrator.prompts-value", NarrationPrompt.getClassSchema());
            int segmentId = registry.register("narrator.segments-value", VideoSegment.getClassSchema());
            h.prompts.pipeInput("reg", AvroSerdeTest.registryFramed(promptId, NarrationPrompt.getClassSchema(),
                    PromptTopologyTest.prompt(PromptTopologyTest.image("red", "a red screen"))));
            h.awaitPrompts();
            h.frame(TestMedia.frame("single", 0, 0.0, "red"));
            h.frames.pipeInput("reg", AvroSerdeTest.registryFramed(frameId, VideoFrame.getClassSchema(), TestMedia.frame("reg", 0, 0.0, "green")));
            h.frame(TestMedia.frame("single", 1, 1.0, "blue"));
            h.frames.pipeInput("reg", AvroSerdeTest.registryFramed(frameId, VideoFrame.getClassSchema(), TestMedia.frame("reg", 1, 1.0, "blue")));
            List<Caption> captions = h.settle();
            assertThat(captions).extracting(c -> c.getStreamId() + ":" + c.getPromptVersion() + ":" + c.getText())
                    .containsExactlyInAnyOrder("single:null:frames=red", "reg:reg@0:examples=a red screen/1 frames=green");
            VideoSegment segment = TestMedia.segment("seg", 0, 0.0, 1.0, "MPEGTS", TestMedia.video(List.of("yellow"), 5, false));
            h.segments.pipeInput("seg", AvroSerdeTest.registryFramed(segmentId, VideoSegment.getClassSchema(), segment));
            assertThat(h.deadLetters.readValuesToList()).isEmpty();
            assertThat(h.metrics.count("narrator.frames.in", "source", "segments")).isPositive();
        }
    }

    @Test
    void withoutARegistryARegistryFramedRecordIsADeadLetterAndTheStreamGoesOn() {
        try (TopologyHarness h = new TopologyHarness(Map.of())) {
            h.frame(TestMedia.frame("cam", 0, 0.0, "red"));
            h.frames.pipeInput("cam", AvroSerdeTest.registryFramed(12, VideoFrame.getClassSchema(), TestMedia.frame("cam", 1, 0.5, "white")));
            h.frame(TestMedia.frame("cam", 2, 1.0, "green"));
            List<DeadLetter> letters = h.deadLetters.readValuesToList();
            assertThat(letters).hasSize(1);
            assertThat(letters.get(0).getReason()).isEqualTo("UNKNOWN_SCHEMA_ID");
            assertThat(letters.get(0).getMessage()).isEqualTo("VideoFrame in the Schema Registry wire format (magic byte 0, schema id 12), but no"
                    + " schema.registry.url is configured to look its schema up: set it, or produce Avro single-object encoding");
            assertThat(h.metrics.count("narrator.dead.letters", "reason", "UNKNOWN_SCHEMA_ID")).isEqualTo(1);
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=red");
        }
    }

    @Test
    void anIdTheRegistryDoesNotKnowIsADeadLetterNamingIt() {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start();
                TopologyHarness h = new TopologyHarness(Map.of("schema.registry.url", registry.url()))) {
            h.prompts.pipeInput("cam", AvroSerdeTest.registryFramed(99, NarrationPrompt.getClassSchema(), PromptTopologyTest.prompt()));
            List<DeadLetter> letters = h.deadLetters.readValuesToList();
            assertThat(letters).extracting(DeadLetter::getReason).containsExactly("UNKNOWN_SCHEMA_ID");
            assertThat(letters.get(0).getMessage()).isEqualTo("NarrationPrompt with schema id 99: the schema registry at " + registry.url()
                    + " answered GET /schemas/ids/99 with HTTP 404 (error 40403): Schema 99 not found");
            assertThat(letters.get(0).getOriginTopic()).isEqualTo("narrator.prompts");
        }
    }

    @Test
    void captionsAndDeadLettersAreWrittenInTheirFormats() throws Exception {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start();
                TopologyHarness h = new TopologyHarness(Map.of("schema.registry.url", registry.url(), "captions.format", "registry",
                        "dead.letters.format", "json"))) {
            h.topics.prepareOutputs();
            TestOutputTopic<String, byte[]> rawCaptions = h.driver.createOutputTopic("narrator.captions", Serdes.String().deserializer(),
                    Serdes.ByteArray().deserializer());
            TestOutputTopic<String, byte[]> rawLetters = h.driver.createOutputTopic("narrator.dead-letters", Serdes.String().deserializer(),
                    Serdes.ByteArray().deserializer());
            h.frames("cam", new double[] {0, 1}, "red", "green");
            h.frames.pipeInput("cam", "garbage".getBytes());
            assertThat(h.engine.awaitIdle(java.time.Duration.ofSeconds(30))).isTrue();
            h.advance(java.time.Duration.ofMillis(h.config.drainIntervalMs())); // publishes the caption, read raw below rather than by settle()
            List<byte[]> captions = rawCaptions.readValuesToList();
            assertThat(captions).hasSize(1);
            assertThat(captions.get(0)[0]).isZero();
            assertThat(java.nio.ByteBuffer.wrap(captions.get(0), 1, 4).getInt()).isEqualTo(registry.versions("narrator.captions-value").get(0));
            assertThat(h.topics.captionSerde().decode(captions.get(0)).getText()).isEqualTo("frames=red");
            List<byte[]> letters = rawLetters.readValuesToList();
            assertThat(letters).hasSize(1);
            assertThat(new ObjectMapper().readTree(letters.get(0)).get("reason").asText()).isEqualTo("NOT_AVRO");
        }
    }
}
