package io.narrator.web;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * What the page shows, held in memory: every stream seen (by a frame, a caption or an alert) with its latest sampled
 * frame and its newest {@value #CAPTIONS_PER_STREAM} captions, dead-letter counts by key and reason, and the newest
 * {@value #ALERTS_KEPT} alerts. The {@link TopicFeed} changes it; each change is also a {@link PageEvent} to every
 * subscribed page. Thread-safe: changes, snapshots and subscriptions are serialised.
 */
final class StreamBoard implements EventSource {
    static final int CAPTIONS_PER_STREAM = 100;
    static final int ALERTS_KEPT = 100;
    /** The key dead letters without a key are counted under. */
    static final String NO_KEY = "";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** One stream's part of the page. */
    private static final class StreamState {
        LatestFrame frame;
        final Deque<ObjectNode> captions = new ArrayDeque<>();
    }

    /** Dead letters of one key and reason. */
    private static final class DeadLetterCount {
        long count;
        String lastMessage;
        String lastOriginTopic;
        long lastTimeMillis;
    }

    private final ObjectNode topics;
    private final Map<String, StreamState> streams = new TreeMap<>();
    private final Map<String, Map<String, DeadLetterCount>> deadLetters = new TreeMap<>();
    private final Deque<ObjectNode> alerts = new ArrayDeque<>();
    private final List<Consumer<PageEvent>> listeners = new CopyOnWriteArrayList<>();

    /** @param topics the names of the topics shown, by role ({@code captions}, {@code frames}, ...), for the page's footer */
    StreamBoard(Map<String, String> topics) {
        this.topics = NODES.objectNode();
        new TreeMap<>(topics).forEach(this.topics::put);
    }

    /** A caption of a stream: appended to its timeline. */
    synchronized void caption(Caption caption) {
        ObjectNode json = AvroJson.of(caption);
        Deque<ObjectNode> timeline = stream(caption.getStreamId()).captions;
        timeline.addLast(json);
        while (timeline.size() > CAPTIONS_PER_STREAM) timeline.removeFirst();
        publish(new PageEvent(PageEvent.CAPTION, json));
    }

    /** A newer sampled frame of a stream: replaces the one shown. */
    synchronized void frame(String streamId, LatestFrame frame) {
        stream(streamId).frame = frame;
        publish(new PageEvent(PageEvent.FRAME, frameJson(streamId, frame)));
    }

    /** A dead letter, counted under its key (a stream id for frames and segments) and reason. */
    synchronized void deadLetter(DeadLetter letter) {
        String key = letter.getKey() == null ? NO_KEY : letter.getKey();
        DeadLetterCount count = deadLetters.computeIfAbsent(key, k -> new TreeMap<>()).computeIfAbsent(letter.getReason(), r -> new DeadLetterCount());
        count.count++;
        count.lastMessage = letter.getMessage();
        count.lastOriginTopic = letter.getOriginTopic();
        count.lastTimeMillis = letter.getTimeMillis();
        publish(new PageEvent(PageEvent.DEAD_LETTER, deadLetterJson(key, letter.getReason(), count)));
    }

    /**
     * An alert about a stream: kept among the newest and sent to the pages, which highlight it.
     *
     * @param details every field of the alert record, shown beside its text
     */
    synchronized void alert(String streamId, long timeMillis, String text, ObjectNode details) {
        if (streamId == null || text == null) throw new IllegalArgumentException("an alert needs a stream and a text");
        stream(streamId);
        ObjectNode json = NODES.objectNode();
        json.put("stream", streamId);
        json.put("timeMillis", timeMillis);
        json.put("text", text);
        json.set("details", details == null ? NODES.objectNode() : details);
        alerts.addLast(json);
        while (alerts.size() > ALERTS_KEPT) alerts.removeFirst();
        publish(new PageEvent(PageEvent.ALERT, json));
    }

    /** The latest sampled frame of a stream, if it has one. */
    synchronized Optional<LatestFrame> latestFrame(String streamId) {
        StreamState state = streams.get(streamId);
        return state == null ? Optional.empty() : Optional.ofNullable(state.frame);
    }

    /**
     * Everything the page shows, as one JSON object: {@code topics}; {@code streams}, each with {@code id}, {@code frame}
     * (or null) and {@code captions} (oldest first); {@code deadLetters}, one entry per key and reason; {@code alerts},
     * oldest first.
     */
    synchronized ObjectNode snapshot() {
        ObjectNode out = NODES.objectNode();
        out.set("topics", topics.deepCopy());
        ArrayNode streamArray = out.putArray("streams");
        streams.forEach((id, state) -> {
            ObjectNode s = streamArray.addObject();
            s.put("id", id);
            if (state.frame == null) s.putNull("frame");
            else s.set("frame", frameJson(id, state.frame));
            ArrayNode captions = s.putArray("captions");
            state.captions.forEach(c -> captions.add(c.deepCopy()));
        });
        ArrayNode letters = out.putArray("deadLetters");
        deadLetters.forEach((key, byReason) -> byReason.forEach((reason, count) -> letters.add(deadLetterJson(key, reason, count))));
        ArrayNode alertArray = out.putArray("alerts");
        alerts.forEach(a -> alertArray.add(a.deepCopy()));
        return out;
    }

    @Override
    public synchronized List<PageEvent> subscribe(Consumer<PageEvent> listener) {
        listeners.add(listener);
        return List.of(new PageEvent(PageEvent.SNAPSHOT, snapshot()));
    }

    @Override
    public void unsubscribe(Consumer<PageEvent> listener) {
        listeners.remove(listener);
    }

    private StreamState stream(String id) {
        return streams.computeIfAbsent(id, k -> new StreamState());
    }

    private void publish(PageEvent event) {
        for (Consumer<PageEvent> listener : listeners) listener.accept(event);
    }

    private static ObjectNode frameJson(String streamId, LatestFrame frame) {
        ObjectNode json = NODES.objectNode();
        json.put("stream", streamId);
        json.put("source", frame.source());
        json.put("timestampMicros", frame.timestampMicros());
        json.put("sequence", frame.sequence());
        json.put("width", frame.width());
        json.put("height", frame.height());
        json.put("url", frameUrl(streamId, frame.timestampMicros()));
        return json;
    }

    /** Where the page gets a stream's frame; the time makes each frame a URL of its own, so browsers never show a stale one. */
    static String frameUrl(String streamId, long timestampMicros) {
        return "api/frame?stream=" + URLEncoder.encode(streamId, StandardCharsets.UTF_8) + "&t=" + timestampMicros;
    }

    private static ObjectNode deadLetterJson(String key, String reason, DeadLetterCount count) {
        ObjectNode json = NODES.objectNode();
        json.put("key", key);
        json.put("reason", reason);
        json.put("count", count.count);
        json.put("lastMessage", count.lastMessage);
        json.put("lastOriginTopic", count.lastOriginTopic);
        json.put("lastTimeMillis", count.lastTimeMillis);
        return json;
    }
}
