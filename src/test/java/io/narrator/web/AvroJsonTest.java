package io.narrator.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.narrator.avro.Alert;
import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import org.junit.jupiter.api.Test;

/** Avro records as the plain JSON the page's script reads. */
class AvroJsonTest {
    @Test
    void unionsAreTheirValueNestedRecordsObjectsArraysArraysBytesBase64AndEnumsNames() {
        DeadLetter letter = WebRecords.deadLetter(null, "NOT_AVRO", "x");
        JsonNode json = AvroJson.of(letter);
        assertThat(json.get("key").isNull()).isTrue();
        assertThat(json.get("payloadPrefix").asText()).isEqualTo("AQID"); // bytes 1, 2, 3
        assertThat(json.get("originOffset").asLong()).isEqualTo(42);
        assertThat(json.fieldNames()).toIterable().containsExactly("originTopic", "originPartition", "originOffset", "key", "reason", "message",
                "payloadPrefix", "payloadSize", "timeMillis");
        // the bytes were read through a copy: the record's buffer is unchanged
        assertThat(letter.getPayloadPrefix().remaining()).isEqualTo(3);

        Caption caption = WebRecords.caption("cam", 0, 8, "text");
        JsonNode c = AvroJson.of(caption);
        assertThat(c.get("logProb").isDouble()).isTrue();
        assertThat(c.get("latency").isObject()).isTrue();
        assertThat(c.get("frameSequences").isArray()).isTrue();

        Alert alert = WebRecords.questionAlert(caption, "rule", "Is it red?", "yes");
        JsonNode a = AvroJson.of(alert);
        assertThat(a.get("ruleKind").asText()).isEqualTo("QUESTION");
        assertThat(a.get("answerLogProb").asDouble()).isEqualTo(-0.1);
        assertThat(a.get("pattern").isNull()).isTrue();
    }

    @Test
    void aNumberJsonCannotHoldIsNull() {
        Caption caption = WebRecords.caption("cam", 0, 8, "text");
        caption.setLogProb(Double.NEGATIVE_INFINITY);
        assertThat(AvroJson.of(caption).get("logProb").isNull()).isTrue();
        caption.setLogProb(Double.NaN);
        assertThat(AvroJson.of(caption).toString()).contains("\"logProb\":null");
    }
}
