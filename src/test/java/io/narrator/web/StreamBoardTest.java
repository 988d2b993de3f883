package io.narrator.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.stream.TestMedia;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The page's state and its JSON: the snapshot every page starts from, and the events that follow it. */
class StreamBoardTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StreamBoard board = new StreamBoard(Map.of("captions", "narrator.captions", "frames", "narrator.frames"));

    @Test
    void anEmptyBoardHasTheTopicsAndNothingElse() throws Exception {
        JsonNode snapshot = JSON.readTree(board.snapshot().toString());
        assertThat(snapshot.get("topics").get("captions").asText()).isEqualTo("narrator.captions");
        assertThat(snapshot.get("topics").get("frames").asText()).isEqualTo("narrator.frames");
        assertThat(snapshot.get("streams")).isEmpty();
        assertThat(snapshot.get("deadLetters")).isEmpty();
        assertThat(snapshot.get("alerts")).isEmpty();
    }

    @Test
    void theSnapshotListsStreamsByIdWithTheirFrameAndCaptionsOldestFirst() throws Exception {
        board.caption(WebRecords.caption("door", 0, 8, "a red circle"));
        board.caption(WebRecords.caption("door", 1, 12, "a red circle moves left"));
        board.caption(WebRecords.failed("door", 2, 16, "skipped: narrator overloaded"));
        board.frame("cam 1/ü", LatestFrame.of(TestMedia.frame("cam 1/ü", 7, 3.5, "red"), 1 << 20));
        JsonNode snapshot = JSON.readTree(board.snapshot().toString());

        assertThat(snapshot.get("streams")).extracting(s -> s.get("id").asText()).containsExactly("cam 1/ü", "door");
        JsonNode cam = snapshot.get("streams").get(0);
        assertThat(cam.get("captions")).isEmpty();
        JsonNode frame = cam.get("frame");
        assertThat(frame.get("stream").asText()).isEqualTo("cam 1/ü");
        assertThat(frame.get("source").asText()).isEqualTo("frames");
        assertThat(frame.get("timestampMicros").asLong()).isEqualTo(3_500_000);
        assertThat(frame.get("sequence").asLong()).isEqualTo(7);
        assertThat(frame.get("width").asInt()).isEqualTo(TestMedia.W);
        assertThat(frame.get("height").asInt()).isEqualTo(TestMedia.H);
        assertThat(frame.get("url").asText()).isEqualTo("api/frame?stream=cam+1%2F%C3%BC&t=3500000");

        JsonNode door = snapshot.get("streams").get(1);
        assertThat(door.get("frame").isNull()).isTrue();
        assertThat(door.get("captions")).extracting(c -> c.get("clipIndex").asLong()).containsExactly(0L, 1L, 2L);
        JsonNode first = door.get("captions").get(0);
        assertThat(first.get("streamId").asText()).isEqualTo("door");
        assertThat(first.get("text").asText()).isEqualTo("a red circle");
        assertThat(first.get("windowStartMicros").asLong()).isZero();
        assertThat(first.get("windowEndMicros").asLong()).isEqualTo(8_000_000);
        assertThat(first.get("logProb").asDouble()).isEqualTo(-2.25);
        assertThat(first.get("promptVersion").isNull()).isTrue();
        assertThat(first.get("error").isNull()).isTrue();
        assertThat(first.get("frameTimestamps")).extracting(JsonNode::asLong).containsExactly(6_000_000L, 7_000_000L);
        assertThat(first.get("latency").get("totalMs").asLong()).isEqualTo(98);
        assertThat(first.get("modelName").asText()).isEqualTo("narrator-tiny");
        JsonNode failed = door.get("captions").get(2);
        assertThat(failed.get("text").asText()).isEmpty();
        assertThat(failed.get("logProb").isNull()).isTrue();
        assertThat(failed.get("error").asText()).isEqualTo("skipped: narrator overloaded");
    }

    @Test
    void aStreamKeepsItsNewestCaptionsOnly() throws Exception {
        int published = StreamBoard.CAPTIONS_PER_STREAM + 30;
        for (int i = 0; i < published; i++) board.caption(WebRecords.caption("cam", i, 8 + 4L * i, "caption " + i));
        JsonNode captions = JSON.readTree(board.snapshot().toString()).get("streams").get(0).get("captions");
        assertThat(captions).hasSize(StreamBoard.CAPTIONS_PER_STREAM);
        assertThat(captions.get(0).get("clipIndex").asLong()).isEqualTo(30);
        assertThat(captions.get(captions.size() - 1).get("clipIndex").asLong()).isEqualTo(published - 1);
    }

    @Test
    void aNewerFrameReplacesTheOneShown() {
        board.frame("cam", LatestFrame.of(TestMedia.frame("cam", 1, 1.0, "red"), 1 << 20));
        board.frame("cam", LatestFrame.of(TestMedia.frame("cam", 2, 2.0, "blue"), 1 << 20));
        assertThat(board.latestFrame("cam")).get().extracting(LatestFrame::sequence).isEqualTo(2L);
        assertThat(board.latestFrame("other")).isEmpty();
    }

    @Test
    void deadLettersAreCountedByKeyAndReasonWithTheLastMessage() throws Exception {
        board.deadLetter(WebRecords.deadLetter("cam", "NOT_AVRO", "first"));
        board.deadLetter(WebRecords.deadLetter("cam", "NOT_AVRO", "second"));
        board.deadLetter(WebRecords.deadLetter("cam", "UNDECODABLE_IMAGE", "bad JPEG"));
        board.deadLetter(WebRecords.deadLetter(null, "NOT_AVRO", "no key"));
        JsonNode letters = JSON.readTree(board.snapshot().toString()).get("deadLetters");
        assertThat(letters).extracting(d -> d.get("key").asText() + "/" + d.get("reason").asText() + "=" + d.get("count").asLong())
                .containsExactly("/NOT_AVRO=1", "cam/NOT_AVRO=2", "cam/UNDECODABLE_IMAGE=1");
        JsonNode notAvro = letters.get(1);
        assertThat(notAvro.get("lastMessage").asText()).isEqualTo("second");
        assertThat(notAvro.get("lastOriginTopic").asText()).isEqualTo("narrator.frames");
        assertThat(notAvro.get("lastTimeMillis").asLong()).isEqualTo(1_700_000_001_000L);
        // dead letters alone make no stream: their key may be a prompt's or garbage
        assertThat(JSON.readTree(board.snapshot().toString()).get("streams")).isEmpty();
    }

    @Test
    void alertsAreKeptNewestLastWithTheirDetailsAndMakeTheirStreamAppear() throws Exception {
        ObjectNode details = JsonNodeFactory.instance.objectNode().put("rule", "person").put("windowEndMicros", 8_000_000L);
        board.alert("door", 1_700_000_002_000L, "a person is at the door", details);
        for (int i = 0; i < StreamBoard.ALERTS_KEPT; i++) board.alert("yard", i, "alert " + i, null);
        JsonNode snapshot = JSON.readTree(board.snapshot().toString());
        assertThat(snapshot.get("alerts")).hasSize(StreamBoard.ALERTS_KEPT);
        assertThat(snapshot.get("alerts").get(0).get("text").asText()).isEqualTo("alert 0");
        assertThat(snapshot.get("streams")).extracting(s -> s.get("id").asText()).containsExactly("door", "yard");

        StreamBoard fresh = new StreamBoard(Map.of());
        fresh.alert("door", 1_700_000_002_000L, "a person is at the door", details);
        JsonNode alert = JSON.readTree(fresh.snapshot().toString()).get("alerts").get(0);
        assertThat(alert.get("stream").asText()).isEqualTo("door");
        assertThat(alert.get("timeMillis").asLong()).isEqualTo(1_700_000_002_000L);
        assertThat(alert.get("text").asText()).isEqualTo("a person is at the door");
        assertThat(alert.get("details").get("rule").asText()).isEqualTo("person");
        assertThat(alert.get("details").get("windowEndMicros").asLong()).isEqualTo(8_000_000L);
    }

    @Test
    void aSubscriberGetsTheSnapshotThenEveryChangeInOrderUntilItLeaves() throws Exception {
        board.caption(WebRecords.caption("cam", 0, 8, "before"));
        List<PageEvent> received = new ArrayList<>();
        Consumer<PageEvent> listener = received::add;
        List<PageEvent> opening = board.subscribe(listener);
        assertThat(opening).singleElement().extracting(PageEvent::type).isEqualTo(PageEvent.SNAPSHOT);
        assertThat(opening.get(0).data().get("streams").get(0).get("captions").get(0).get("text").asText()).isEqualTo("before");

        board.frame("cam", LatestFrame.of(TestMedia.frame("cam", 3, 9.0, "green"), 1 << 20));
        board.caption(WebRecords.caption("cam", 1, 12, "after"));
        board.deadLetter(WebRecords.deadLetter("cam", "NOT_AVRO", "x"));
        board.alert("cam", 5, "look", null);
        assertThat(received).extracting(PageEvent::type)
                .containsExactly(PageEvent.FRAME, PageEvent.CAPTION, PageEvent.DEAD_LETTER, PageEvent.ALERT);
        assertThat(received.get(0).data().get("url").asText()).isEqualTo("api/frame?stream=cam&t=9000000");
        assertThat(received.get(1).data().get("text").asText()).isEqualTo("after");
        assertThat(received.get(2).data().get("count").asLong()).isEqualTo(1);
        assertThat(received.get(3).data().get("text").asText()).isEqualTo("look");

        board.unsubscribe(listener);
        board.caption(WebRecords.caption("cam", 2, 16, "unseen"));
        assertThat(received).hasSize(4);
    }

    @Test
    void anEventIsOneLineOfTheEventStreamFormatWhateverItsText() {
        board.caption(WebRecords.caption("cam", 0, 8, "two lines\nand a \"quote\""));
        List<PageEvent> events = new ArrayList<>();
        board.subscribe(events::add);
        board.caption(WebRecords.caption("cam", 1, 12, "line one\r\nline two"));
        String wire = events.get(0).wireFormat();
        assertThat(wire).startsWith("event: caption\ndata: {").endsWith("}\n\n");
        // the event stream's lines end at CR or LF: the JSON must hold neither
        assertThat(wire.substring(0, wire.length() - 2).split("\r|\n")).hasSize(2);
        String snapshot = board.subscribe(e -> {}).get(0).wireFormat();
        assertThat(snapshot).startsWith("event: snapshot\ndata: {").endsWith("}\n\n");
        assertThat(snapshot.substring(0, snapshot.length() - 2).split("\r|\n")).hasSize(2);
    }
}
