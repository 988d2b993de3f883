package io.narrator.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.narrator.avro.Alert;
import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import io.narrator.avro.VideoFrame;
import io.narrator.avro.VideoSegment;
import io.narrator.stream.AvroSerde;
import io.narrator.stream.EmbeddedKafkaBroker;
import io.narrator.stream.NarratorConfig;
import io.narrator.stream.TestMedia;
import io.narrator.stream.TopicAdmin;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The page's feed on a real broker: where it starts reading each topic, what it shows, what it skips, its health. */
class TopicFeedIT {
    private static EmbeddedKafkaBroker broker;
    private static KafkaProducer<String, byte[]> producer;

    @BeforeAll
    static void start() {
        broker = EmbeddedKafkaBroker.start();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    @AfterAll
    static void stop() {
        if (producer != null) producer.close();
        if (broker != null) broker.close();
    }

    private static NarratorConfig config(String name) {
        return NarratorConfig.of(Map.of("bootstrap.servers", broker.bootstrapServers(), "topic.prefix", name + ".", "topic.partitions", "2",
                "web.history.ms", String.valueOf(3_600_000)));
    }

    private static void createTopics(NarratorConfig config) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", broker.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            TopicAdmin.ensureTopics(admin, config);
            String alerts = TopicFeed.alertsTopic(config);
            if (!admin.listTopics().names().get().contains(alerts)) admin.createTopics(List.of(new NewTopic(alerts, 2, (short) 1))).all().get();
        }
    }

    private static void send(String topic, String key, byte[] value, long timestampMillis) throws Exception {
        producer.send(new ProducerRecord<>(topic, null, timestampMillis, key, value)).get();
    }

    private static void caption(NarratorConfig config, Caption c, long timestampMillis) throws Exception {
        send(config.topics().captions(), c.getStreamId(), AvroSerde.of(Caption.class).encode(c), timestampMillis);
    }

    private static void frame(NarratorConfig config, VideoFrame f) throws Exception {
        send(config.topics().frames(), f.getStreamId(), AvroSerde.of(VideoFrame.class).encode(f), System.currentTimeMillis());
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("not within 60 s: " + what);
            Thread.sleep(50);
        }
    }

    @Test
    void theFeedShowsRecentCaptionsSampledFramesSegmentsAndDeadLettersAndSkipsWhatItCannotRead() throws Exception {
        NarratorConfig config = config("feed");
        createTopics(config);
        long now = System.currentTimeMillis();
        caption(config, WebRecords.caption("door", 0, 8, "two hours ago"), now - 7_200_000);
        caption(config, WebRecords.caption("door", 1, 12, "ten minutes ago"), now - 600_000);
        for (int i = 0; i < 30; i++) // 2 s at 15 fps: the samples at 1 fps are frames 0 and 15
            frame(config, TestMedia.frame("yard", i, Math.round(i * 1e6 / 15), "JPEG", TestMedia.W, TestMedia.H, TestMedia.jpeg(i < 15 ? "red" : "blue")));
        send(config.topics().frames(), "junk", new byte[] {1, 2, 3}, now);
        send(config.topics().captions(), "junk", "not a caption".getBytes(), now);
        VideoSegment segment = TestMedia.segment("lobby", 4, 20, 2, "MPEGTS", TestMedia.video(List.of("green", "green"), 5, false));
        send(config.topics().segments(), "lobby", AvroSerde.of(VideoSegment.class).encode(segment), now);
        DeadLetter letter = WebRecords.deadLetter("junk", "NOT_AVRO", "not Avro single-object encoded VideoFrame");
        send(config.topics().deadLetters(), "junk", AvroSerde.of(DeadLetter.class).encode(letter), now);
        Alert alert = WebRecords.keywordAlert(WebRecords.caption("door", 1, 12, "a red person waves"), "person", "person");
        send(TopicFeed.alertsTopic(config), "door", AvroSerde.of(Alert.class).encode(alert), now);
        send(TopicFeed.alertsTopic(config), "door", "not an alert".getBytes(), now);

        StreamBoard board = new StreamBoard(TopicFeed.topicNames(config));
        try (TopicFeed feed = TopicFeed.start(config, board, Clock.systemUTC())) {
            await(() -> feed.health().ready(), "the feed read the topics' recent records");
            assertThat(feed.health().live()).isTrue();
            JsonNode snapshot = board.snapshot();
            assertThat(snapshot.get("streams")).extracting(s -> s.get("id").asText()).containsExactly("door", "lobby", "yard");
            assertThat(snapshot.at("/streams/0/captions")).extracting(c -> c.get("text").asText()).containsExactly("ten minutes ago");
            assertThat(snapshot.at("/streams/1/frame/source").asText()).isEqualTo("segments");
            assertThat(snapshot.at("/streams/1/frame/timestampMicros").asLong()).isEqualTo(22_000_000);
            assertThat(board.latestFrame("lobby").orElseThrow().image().contentType()).isEqualTo("image/jpeg");
            assertThat(snapshot.at("/streams/2/frame/sequence").asLong()).isEqualTo(15);
            assertThat(snapshot.at("/streams/2/frame/timestampMicros").asLong()).isEqualTo(1_000_000);
            assertThat(board.latestFrame("yard").orElseThrow().image().bytes()).isEqualTo(TestMedia.jpeg("blue"));
            assertThat(snapshot.get("deadLetters")).singleElement().satisfies(d -> {
                assertThat(d.get("key").asText()).isEqualTo("junk");
                assertThat(d.get("reason").asText()).isEqualTo("NOT_AVRO");
                assertThat(d.get("count").asLong()).isEqualTo(1);
            });
            assertThat(snapshot.get("alerts")).singleElement().satisfies(a -> {
                assertThat(a.get("stream").asText()).isEqualTo("door");
                assertThat(a.get("text").asText()).isEqualTo("person: \u201cperson\u201d in \u201ca red person waves\u201d");
                assertThat(a.get("timeMillis").asLong()).isEqualTo(alert.getCreatedAtMillis());
                assertThat(a.at("/details/windowEndMicros").asLong()).isEqualTo(12_000_000);
                assertThat(a.at("/details/ruleKind").asText()).isEqualTo("KEYWORD");
                assertThat(a.at("/details/question").isNull()).isTrue();
            });

            // what is published from now on arrives as events, in order
            List<PageEvent> events = new CopyOnWriteArrayList<>();
            board.subscribe(events::add);
            frame(config, TestMedia.frame("yard", 30, 2_000_000, "JPEG", TestMedia.W, TestMedia.H, TestMedia.jpeg("green")));
            frame(config, TestMedia.frame("yard", 31, 2_050_000, "JPEG", TestMedia.W, TestMedia.H, TestMedia.jpeg("green"))); // same second: not a sample
            caption(config, WebRecords.caption("door", 2, 16, "just now"), System.currentTimeMillis());
            await(() -> events.size() >= 2, "two events");
            Thread.sleep(500);
            assertThat(events).extracting(PageEvent::type).containsExactlyInAnyOrder(PageEvent.FRAME, PageEvent.CAPTION);
            PageEvent frameEvent = events.stream().filter(e -> e.type().equals(PageEvent.FRAME)).findFirst().orElseThrow();
            assertThat(frameEvent.data().get("sequence").asLong()).isEqualTo(30);
            // a source that restarts its clock (ingesting a file again) is shown from its new start
            frame(config, TestMedia.frame("yard", 0, 0, "JPEG", TestMedia.W, TestMedia.H, TestMedia.jpeg("red")));
            Thread.sleep(1000);
            assertThat(board.latestFrame("yard").orElseThrow().sequence()).as("2 s back is not a restart").isEqualTo(30);
            frame(config, TestMedia.frame("yard", 100, 60_000_000, "JPEG", TestMedia.W, TestMedia.H, TestMedia.jpeg("red")));
            frame(config, TestMedia.frame("yard", 0, 30_000_000, "JPEG", TestMedia.W, TestMedia.H, TestMedia.jpeg("red")));
            await(() -> board.latestFrame("yard").orElseThrow().timestampMicros() == 30_000_000, "the restarted stream's frame shown");
        }
    }

    @Test
    void aQuestionAlertReadsAsTheQuestionAndItsAnswer() {
        Alert alert = WebRecords.questionAlert(WebRecords.caption("door", 3, 20, "a person"), "visitor", "Is someone at the door?", "yes");
        assertThat(TopicFeed.describe(alert)).isEqualTo("visitor: Is someone at the door? yes");
    }

    @Test
    void topicsThatDoNotExistYetAreWaitedForAndTheAlertsTopicIsOptional() throws Exception {
        NarratorConfig config = config("later");
        StreamBoard board = new StreamBoard(TopicFeed.topicNames(config));
        try (TopicFeed feed = TopicFeed.start(config, board, Clock.systemUTC())) {
            await(() -> feed.health().reason() != null && feed.health().reason().contains("waits for topics"), "the feed waits");
            assertThat(feed.health().reason()).contains("later.captions").contains("later.alerts");
            assertThat(feed.health().live()).isTrue();
            assertThat(feed.health().ready()).isFalse();
            Properties p = new Properties();
            p.put("bootstrap.servers", broker.bootstrapServers());
            try (Admin admin = Admin.create(p)) {
                TopicAdmin.ensureTopics(admin, config);
            }
            await(() -> feed.health().ready(), "ready without an alerts topic");
            createTopics(config);
            Alert alert = WebRecords.keywordAlert(WebRecords.caption("cam", 0, 8, "a fire"), "fire", "fire");
            send(TopicFeed.alertsTopic(config), "cam", AvroSerde.of(Alert.class).encode(alert), System.currentTimeMillis());
            await(() -> board.snapshot().get("alerts").size() == 1, "the alert of a topic created later shown");
            await(() -> feed.health().ready(), "ready once the topics exist");
            caption(config, WebRecords.caption("cam", 0, 8, "hello"), System.currentTimeMillis());
            await(() -> board.snapshot().at("/streams/0/captions/0/text").asText().equals("hello"), "the caption shown");
        }
    }

    @Test
    void aClosedFeedIsNoLongerLive() throws Exception {
        NarratorConfig config = config("closed");
        createTopics(config);
        TopicFeed feed = TopicFeed.start(config, new StreamBoard(Map.of()), Clock.systemUTC());
        await(() -> feed.health().ready(), "ready");
        feed.close();
        assertThat(feed.health().live()).isFalse();
        assertThat(feed.health().reason()).isEqualTo("the web page's Kafka consumer has stopped");
    }
}
