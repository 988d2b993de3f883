package io.narrator.web;

import io.narrator.avro.Alert;
import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import io.narrator.avro.VideoFrame;
import io.narrator.avro.VideoSegment;
import io.narrator.ingest.FpsSampler;
import io.narrator.stream.AvroSerde;
import io.narrator.stream.Health;
import io.narrator.stream.NarratorConfig;
import io.narrator.stream.Topic;
import io.narrator.stream.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows Narrator's topics for the page as any subscriber does, and puts what it reads on a {@link StreamBoard}: one
 * Kafka consumer on a thread of its own, committed records only ({@code read_committed}), no consumer group, every
 * partition of the frames, segments, captions, dead-letters and alerts topics. Captions, dead letters and alerts are read
 * from {@code web.history.ms} ago on; frames and segments from the last few records of each partition, so that a stream that
 * is quiet now still shows its last frame. Frames are sampled by event time per stream at {@code sample.fps}, as the
 * narrator samples them. A record it cannot read is skipped: the narrator dead-letters bad input, and the page shows
 * those counts. The alerts topic is optional: a cluster without it (no alert rule was ever set) shows no alerts, and the
 * page follows it once it appears.
 */
final class TopicFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicFeed.class);
    /** Records of each frames partition read back at the start. */
    static final int FRAMES_BACK = 100;
    /** Records of each segments partition read back at the start. */
    static final int SEGMENTS_BACK = 10;
    /** A frame this much older than the last one shown starts its stream's sampling again (its source restarted its clock). */
    static final long RESTART_MICROS = 10_000_000;
    /** How often topics that do not exist yet are looked for again. */
    private static final Duration RETRY = Duration.ofSeconds(2);

    private final NarratorConfig config;
    private final Topics topics;
    private final StreamBoard board;
    private final Clock clock;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final FpsSampler sampler;
    private final Map<String, Long> lastShown = new HashMap<>();
    /** End offsets when each partition was assigned: the feed is ready once it has read up to them. */
    private final Map<TopicPartition, Long> catchUp = new HashMap<>();
    private final String alertsTopic;
    private final List<String> missing = new CopyOnWriteArrayList<>();
    private List<String> reportedMissing = List.of();
    private volatile boolean ready;
    private volatile Throwable failure;
    private volatile boolean stopping;

    private TopicFeed(NarratorConfig config, StreamBoard board, Clock clock) {
        this.config = config;
        this.topics = Topics.from(config);
        this.board = board;
        this.clock = clock;
        this.sampler = config.sampler();
        this.alertsTopic = alertsTopic(config);
        Properties p = config.clientProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "narrator-web");
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::run, "narrator-web-feed");
        thread.setDaemon(true);
    }

    /** The names of the topics a page shows, by role, for {@link StreamBoard}'s footer. */
    static Map<String, String> topicNames(NarratorConfig config) {
        Map<String, String> names = new LinkedHashMap<>();
        names.put("frames", config.topics().frames());
        names.put("segments", config.topics().segments());
        names.put("captions", config.topics().captions());
        names.put("deadLetters", config.topics().deadLetters());
        names.put("alerts", alertsTopic(config));
        return names;
    }

    /** The topic Alert records are published to ({@code topic.alerts}). */
    static String alertsTopic(NarratorConfig config) {
        return config.topics().alerts();
    }

    /** Starts following the configured cluster's topics onto {@code board}. */
    static TopicFeed start(NarratorConfig config, StreamBoard board, Clock clock) {
        TopicFeed feed = new TopicFeed(config, board, clock);
        feed.thread.start();
        return feed;
    }

    private void run() {
        try {
            missing.addAll(List.of(topics.frames().name(), topics.segments().name(), topics.captions().name(), topics.deadLetters().name(), alertsTopic));
            long nextLook = 0;
            while (!stopping) {
                if (!missing.isEmpty() && System.nanoTime() >= nextLook) {
                    assignMissing();
                    nextLook = System.nanoTime() + RETRY.toNanos();
                }
                if (consumer.assignment().isEmpty()) {
                    Thread.sleep(200);
                    continue;
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) show(r);
                if (!ready) ready = !waitingForRequired() && caughtUp();
            }
        } catch (WakeupException | InterruptedException stopped) {
            if (!stopping) failure = stopped;
        } catch (RuntimeException | Error e) {
            if (!stopping) {
                failure = e;
                LOG.error("the web page stopped following Kafka: {}", e.toString(), e);
            }
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(1)));
        }
    }

    /** Assigns the partitions of every topic that exists now, positioned where the page starts reading it. */
    private void assignMissing() {
        List<TopicPartition> assignment = new ArrayList<>(consumer.assignment());
        Map<TopicPartition, Long> history = new HashMap<>();
        Map<TopicPartition, Integer> back = new HashMap<>();
        long since = clock.millis() - config.webHistoryMs();
        for (String topic : List.copyOf(missing)) {
            var partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10));
            if (partitions == null || partitions.isEmpty()) continue;
            missing.remove(topic);
            for (var info : partitions) {
                TopicPartition tp = new TopicPartition(topic, info.partition());
                assignment.add(tp);
                if (topic.equals(topics.frames().name())) back.put(tp, FRAMES_BACK);
                else if (topic.equals(topics.segments().name())) back.put(tp, SEGMENTS_BACK);
                else history.put(tp, since);
            }
        }
        if (!missing.isEmpty() && !missing.equals(reportedMissing)) LOG.info("the web page waits for topics {} to be created", missing);
        reportedMissing = List.copyOf(missing);
        if (history.isEmpty() && back.isEmpty()) return;
        consumer.assign(assignment);
        List<TopicPartition> added = new ArrayList<>(history.keySet());
        added.addAll(back.keySet());
        Map<TopicPartition, Long> ends = consumer.endOffsets(added);
        Map<TopicPartition, Long> begins = consumer.beginningOffsets(added);
        catchUp.putAll(ends);
        Map<TopicPartition, OffsetAndTimestamp> fromTime = history.isEmpty() ? Map.of() : consumer.offsetsForTimes(history);
        history.keySet().forEach(tp -> {
            OffsetAndTimestamp at = fromTime.get(tp);
            consumer.seek(tp, at == null ? ends.get(tp) : at.offset());
        });
        back.forEach((tp, n) -> consumer.seek(tp, Math.max(begins.get(tp), ends.get(tp) - n)));
    }

    /** Whether a topic the page needs (any but the alerts topic) does not exist yet. */
    private boolean waitingForRequired() {
        return missing.stream().anyMatch(t -> !t.equals(alertsTopic));
    }

    private boolean caughtUp() {
        for (Map.Entry<TopicPartition, Long> e : catchUp.entrySet())
            if (consumer.position(e.getKey()) < e.getValue()) return false;
        return true;
    }

    /** Puts one record on the board, or skips it when it cannot be read. */
    private void show(ConsumerRecord<String, byte[]> r) {
        try {
            if (r.topic().equals(topics.captions().name())) {
                Caption caption = decode(topics.captions(), r);
                if (caption != null) board.caption(caption);
            } else if (r.topic().equals(topics.deadLetters().name())) {
                DeadLetter letter = decode(topics.deadLetters(), r);
                if (letter != null) board.deadLetter(letter);
            } else if (r.topic().equals(alertsTopic)) {
                Alert alert = decode(topics.alerts(), r);
                if (alert != null) board.alert(alert.getStreamId(), alert.getCreatedAtMillis(), describe(alert), AvroJson.of(alert));
            } else if (r.topic().equals(topics.frames().name())) {
                VideoFrame frame = decode(topics.frames(), r);
                if (frame != null && sampled(frame.getStreamId(), frame.getTimestampMicros()))
                    board.frame(frame.getStreamId(), LatestFrame.of(frame, config.maxPixels()));
            } else if (r.topic().equals(topics.segments().name())) {
                VideoSegment segment = decode(topics.segments(), r);
                if (segment != null && sampled(segment.getStreamId(), segment.getStartMicros()))
                    board.frame(segment.getStreamId(), LatestFrame.of(segment, sampler, config.maxPixels()));
            }
        } catch (RuntimeException e) {
            LOG.debug("the web page skips {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
        }
    }

    /** An alert in a line: the rule, and the answer to its question or what its pattern matched in the caption. */
    static String describe(Alert alert) {
        return switch (alert.getRuleKind()) {
            case QUESTION -> alert.getRuleId() + ": " + alert.getQuestion() + " " + alert.getAnswer();
            case KEYWORD, REGEX -> alert.getRuleId() + ": \u201c" + alert.getMatchedText() + "\u201d in \u201c" + alert.getCaption() + "\u201d";
        };
    }

    /** Whether a frame at {@code timestampMicros} is the stream's next sample (and if so, remembers it). */
    private boolean sampled(String streamId, long timestampMicros) {
        Long last = lastShown.get(streamId);
        FpsSampler.Decision decision = sampler.decide(last == null ? FpsSampler.NONE : last, timestampMicros);
        boolean restarted = decision == FpsSampler.Decision.DROP_LATE && last - timestampMicros > RESTART_MICROS;
        if (decision != FpsSampler.Decision.KEEP && !restarted) return false;
        lastShown.put(streamId, timestampMicros);
        return true;
    }

    private static <V> V decode(Topic<String, V> topic, ConsumerRecord<String, byte[]> r) {
        return topic.valueSerde().deserializer().deserialize(r.topic(), r.value());
    }

    /**
     * Live while the feed follows Kafka (its thread runs and has not failed); ready once every topic exists and the page
     * has read what they held when it started.
     */
    Health health() {
        Throwable failed = failure;
        if (failed != null) return Health.dead("the web page stopped following Kafka: " + failed);
        if (!thread.isAlive()) return Health.dead("the web page's Kafka consumer has stopped");
        if (!ready)
            return Health.notReady(waitingForRequired() ? "the web page waits for topics " + missing + " to be created" : "the web page is reading the topics' recent records");
        return Health.ok();
    }

    /** Stops following Kafka and closes the consumer. */
    @Override
    public void close() {
        stopping = true;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
