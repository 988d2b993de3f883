package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.DeadLetter;
import java.util.List;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.junit.jupiter.api.Test;

/**
 * The whole malformed-record corpus ({@link MalformedRecords}) sent amid a healthy stream: each record is a dead letter
 * with its reason, in order, and the stream's windows are captioned as if none had been sent.
 */
class MalformedCorpusTopologyTest {
    static final long BASE_MICROS = 1_700_000_000_000_000L;

    @Test
    void everyMalformedRecordIsADeadLetterWithItsReasonAndTheStreamFlows() {
        List<MalformedRecords.Bad> corpus = MalformedRecords.corpus("cam", BASE_MICROS);
        try (TopologyHarness h = new TopologyHarness()) {
            TestInputTopic<byte[], byte[]> frames = h.driver.createInputTopic(h.topics.frames().name(), new ByteArraySerializer(), new ByteArraySerializer());
            TestInputTopic<byte[], byte[]> segments = h.driver.createInputTopic(h.topics.segments().name(), new ByteArraySerializer(), new ByteArraySerializer());
            TestInputTopic<byte[], byte[]> prompts = h.driver.createInputTopic(h.topics.prompts().name(), new ByteArraySerializer(), new ByteArraySerializer());
            h.frame(TestMedia.frame("cam", 0, BASE_MICROS / 1e6, "red"));
            for (MalformedRecords.Bad bad : corpus) {
                switch (bad.input()) {
                    case FRAMES -> frames.pipeInput(bad.key(), bad.value());
                    case SEGMENTS -> segments.pipeInput(bad.key(), bad.value());
                    case PROMPTS -> {
                        prompts.pipeInput(bad.key(), bad.value());
                        h.awaitPrompts(); // prompts that decode are validated off the stream thread: its dead letter comes now, in order
                    }
                }
            }
            h.frame(TestMedia.frame("cam", 1, BASE_MICROS / 1e6 + 1, "green"));
            h.frame(TestMedia.frame("cam", 2, BASE_MICROS / 1e6 + 2, "blue"));

            List<DeadLetter> letters = h.deadLetters.readValuesToList();
            assertThat(letters).hasSize(corpus.size());
            for (int i = 0; i < corpus.size(); i++) {
                MalformedRecords.Bad bad = corpus.get(i);
                DeadLetter letter = letters.get(i);
                assertThat(letter.getReason()).as("%s: %s", bad.name(), letter.getMessage()).isEqualTo(bad.reason().name());
                assertThat(letter.getMessage()).as(bad.name()).contains(bad.messagePart());
            }
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=red", "frames=red,green");
        }
    }
}
