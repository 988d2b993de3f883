package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import io.narrator.model.FlamingoModel;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.stream.EndToEnd.LiveFeed;
import io.narrator.stream.EndToEnd.NarratorProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The narrator with the bundled model under faults, on the embedded broker, while live streams send a frame a second:
 * killed with SIGKILL and restarted, the broker stopped and started again, more clips than the model can narrate, and
 * one of two instances killed. Each test checks that every window is captioned exactly once (read_committed), that the
 * narrator still runs at the end, and that captions are on time once the fault is over (and, for two instances, on the
 * survivor throughout).
 */
class NarratorFaultsIT {
    /** A caption on time: made within this of its window closing (the closing frame's send), a few batches of the model. */
    static final Duration ON_TIME = Duration.ofSeconds(10);
    /** How long after a fault ends captions may take to catch up before they must be on time again. */
    static final Duration CATCH_UP = Duration.ofSeconds(15);
    /** Seconds the streams go on once captions must be on time again. */
    static final int STEADY_SECONDS = 12;

    /** Frames per clip the bundled model takes at most. */
    static final int MAX_FRAMES = maxFrames();

    private static EmbeddedKafkaBroker broker;

    private static int maxFrames() {
        try {
            return ModelDirectory.bundled().config().perceiver().maxFrames();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedKafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    /** Windows of 4 s every 2 s, as a live deployment might; every other setting from {@link KafkaTestSupport#config}. */
    private static NarratorConfig config(String bootstrap, String name, Map<String, String> extra) {
        NarratorConfig config = KafkaTestSupport.config(bootstrap, EndToEnd.unique(name), Map.of("window.seconds", "4", "hop.seconds", "2"));
        for (Map.Entry<String, String> e : extra.entrySet()) config = config.with(e.getKey(), e.getValue());
        return config;
    }

    /** Ends the feed {@link #STEADY_SECONDS} after {@code settle} from now; returns the windows its streams then make. */
    private static Map<String, List<ClipWindows.Clip<Integer>>> endAfter(LiveFeed feed, NarratorConfig config, Duration settle) {
        int last = feed.endAfter(settle.plusSeconds(STEADY_SECONDS));
        return EndToEnd.windows(config, feed.streams(), last, MAX_FRAMES);
    }

    @Test
    void killedWithSigkillDuringLiveIngestAndRestartedItCaptionsEveryWindowExactlyOnce() throws Exception {
        NarratorConfig config = config(broker.bootstrapServers(), "kill", Map.of());
        Topics topics = Topics.from(config);
        try (NarratorProcess first = NarratorProcess.run(config, config.applicationId() + "-first");
                LiveFeed feed = LiveFeed.start(broker.bootstrapServers(), topics, EndToEnd.streams("cam", 4))) {
            // mid-stream: captions are being published (transactions open) when it is killed
            KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, got -> got.size() >= 8);
            long killed = System.currentTimeMillis();
            first.kill();
            try (NarratorProcess second = NarratorProcess.run(config, config.applicationId() + "-second")) {
                long restarted = System.currentTimeMillis();
                Map<String, List<ClipWindows.Clip<Integer>>> windows = endAfter(feed, config, CATCH_UP);
                feed.awaitEnd();
                List<Caption> captions = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, EndToEnd.everyWindow(windows));
                EndToEnd.assertEachWindowOnce(captions, windows, false);
                assertThat(second.isAlive()).as(second + " alive").isTrue();
                System.out.println("kill -9: windows that closed after the kill waited at most " // measured, in the build's log
                        + EndToEnd.worstLatencyMs(captions, feed, c -> true, killed) + " ms for their caption");
                assertThat(EndToEnd.assertOnTime(captions, feed, c -> true, restarted + CATCH_UP.toMillis(), ON_TIME, "after the restart"))
                        .as("windows closed after the restart caught up").isGreaterThan(0);
            }
        }
    }

    @Test
    void aBrokerStoppedAndStartedAgainLosesAndDuplicatesNothing() throws Exception {
        Path data = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "broker-outage");
        EmbeddedKafkaBroker own = EmbeddedKafkaBroker.builder().dataDir(data).start();
        int port = own.port();
        NarratorConfig config = config(own.bootstrapServers(), "outage", Map.of());
        Topics topics = Topics.from(config);
        try (NarratorApp app = NarratorApp.create(config, new FlamingoNarration(FlamingoModel.load(ModelDirectory.BUNDLED)))) {
            app.start();
            assertThat(app.awaitRunning(EndToEnd.PROCESS_START)).isTrue();
            try (LiveFeed feed = LiveFeed.start(own.bootstrapServers(), topics, EndToEnd.streams("cam", 4))) {
                KafkaTestSupport.readCaptions(own.bootstrapServers(), topics, got -> got.size() >= 8);
                long stopped = System.currentTimeMillis();
                own.close(); // the narrator and the feed keep running against nothing for 10 s
                Thread.sleep(10_000);
                own = EmbeddedKafkaBroker.builder().dataDir(data).port(port).start();
                long back = System.currentTimeMillis();
                Map<String, List<ClipWindows.Clip<Integer>>> windows = endAfter(feed, config, CATCH_UP);
                feed.awaitEnd();
                List<Caption> captions = KafkaTestSupport.readCaptions(own.bootstrapServers(), topics, EndToEnd.everyWindow(windows));
                EndToEnd.assertEachWindowOnce(captions, windows, false);
                assertAlive(app);
                System.out.println("broker outage: windows that closed after the broker stopped waited at most " // measured, in the build's log
                        + EndToEnd.worstLatencyMs(captions, feed, c -> true, stopped) + " ms for their caption");
                assertThat(EndToEnd.assertOnTime(captions, feed, c -> true, back + CATCH_UP.toMillis(), ON_TIME, "after the broker came back"))
                        .as("windows closed after the narrator caught up").isGreaterThan(0);
            }
        } finally {
            own.close();
            org.apache.kafka.common.utils.Utils.delete(data.toFile());
        }
    }

    @Test
    void overloadedWithMaxLagEveryWindowGetsOneCaptionOrOneErrorCaptionAndNoneIsLate() throws Exception {
        // 48 streams each closing a window of 8 frames every second, all in the same instant (aligned phase), narrated one
        // clip at a time: each second's burst of 48 clips takes the bundled model far longer than max.lag.ms on any machine
        // (a clip of 8 frames with 3 beams takes tens of ms), so part of every burst is skipped however fast the cores are
        long maxLagMs = 300;
        NarratorConfig config = config(broker.bootstrapServers(), "overload", Map.of("window.seconds", "8", "hop.seconds", "1",
                "window.phase", "aligned", "batch.max", "1", "max.lag.ms", String.valueOf(maxLagMs)));
        Topics topics = Topics.from(config);
        List<String> streams = EndToEnd.streams("cam", 48);
        Map<String, List<ClipWindows.Clip<Integer>>> windows = EndToEnd.windows(config, streams, 30, MAX_FRAMES);
        try (NarratorApp app = NarratorApp.create(config, new FlamingoNarration(FlamingoModel.load(ModelDirectory.BUNDLED)))) {
            app.start();
            assertThat(app.awaitRunning(EndToEnd.PROCESS_START)).isTrue();
            try (LiveFeed feed = LiveFeed.start(broker.bootstrapServers(), topics, streams)) {
                feed.endAt(30);
                feed.awaitEnd();
                List<Caption> captions = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, EndToEnd.everyWindow(windows));
                EndToEnd.assertEachWindowOnce(captions, windows, true);
                long skipped = captions.stream().filter(c -> c.getError() != null).count();
                System.out.printf("overload: %d of %d clips skipped (%.0f by lag, %.0f by a full queue)%n", skipped, captions.size(),
                        app.engine().metrics().count("narrator.clips.skipped", "reason", "lag"),
                        app.engine().metrics().count("narrator.clips.skipped", "reason", "queue_full"));
                assertThat(skipped).as("clips skipped under overload (the test overloads the model)").isPositive();
                assertThat(captions.size() - skipped).as("clips narrated under overload").isPositive();
                assertThat(app.engine().metrics().count("narrator.clips.skipped", "reason", "lag")
                        + app.engine().metrics().count("narrator.clips.skipped", "reason", "queue_full")).isEqualTo(skipped);
                // skipping keeps every stream's captions, narrated or not, within max.lag.ms (and a batch) of their window
                EndToEnd.assertOnTime(captions, feed, c -> true, 0, Duration.ofMillis(maxLagMs).plus(ON_TIME), "under overload");
                assertAlive(app);
            }
        }
    }

    @Test
    void oneOfTwoInstancesKilledMidStreamEveryWindowIsCaptionedExactlyOnceAndTheSurvivorsStreamsStayOnTime() throws Exception {
        NarratorConfig shared = config(broker.bootstrapServers(), "pair", Map.of());
        Topics topics = Topics.from(shared);
        NarratorConfig a = instance(shared, "a");
        NarratorConfig b = instance(shared, "b");
        List<String> streams = EndToEnd.streams("cam", 6);
        try (NarratorProcess victim = NarratorProcess.launch(a, shared.applicationId() + "-a");
                NarratorProcess survivor = NarratorProcess.launch(b, shared.applicationId() + "-b")) {
            victim.awaitRunning();
            survivor.awaitRunning();
            Set<Integer> survivorPartitions = awaitBothAssigned(shared, topics);
            List<String> survivorStreams = streams.stream()
                    .filter(s -> survivorPartitions.contains(KafkaTestSupport.partitionOf(s, shared.topicPartitions()))).toList();
            try (LiveFeed feed = LiveFeed.start(broker.bootstrapServers(), topics, streams)) {
                KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, got -> got.size() >= 12);
                long killed = System.currentTimeMillis();
                victim.kill();
                long sessionTimeoutMs = Long.parseLong(shared.properties().get("consumer.session.timeout.ms"));
                Map<String, List<ClipWindows.Clip<Integer>>> windows = endAfter(feed, shared, Duration.ofMillis(sessionTimeoutMs).plus(CATCH_UP));
                feed.awaitEnd();
                List<Caption> captions = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, EndToEnd.everyWindow(windows));
                EndToEnd.assertEachWindowOnce(captions, windows, false);
                assertThat(survivor.isAlive()).as(survivor + " alive").isTrue();
                assertThat(survivorStreams).as("streams on the survivor's partitions " + survivorPartitions).isNotEmpty();
                System.out.println("two instances: the killed instance's streams waited at most " // measured, in the build's log
                        + EndToEnd.worstLatencyMs(captions, feed, c -> !survivorStreams.contains(c.getStreamId()), killed) + " ms for a caption");
                EndToEnd.assertOnTime(captions, feed, c -> survivorStreams.contains(c.getStreamId()), killed, ON_TIME,
                        "the survivor's own streams " + survivorStreams + " from the kill, through the rebalance");
                assertThat(EndToEnd.assertOnTime(captions, feed, c -> true, killed + sessionTimeoutMs + CATCH_UP.toMillis(), ON_TIME,
                        "every stream once the survivor took the dead instance's partitions")).isGreaterThan(0);
            }
        }
    }

    /** An instance of the shared application with a state directory and client id of its own (its consumers are named after it). */
    private static NarratorConfig instance(NarratorConfig shared, String id) throws java.io.IOException {
        Path state = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "state-" + shared.applicationId() + "-" + id);
        return shared.with("state.dir", state.toString()).with("client.id", shared.applicationId() + "-" + id);
    }

    /**
     * Waits until both instances' consumers hold partitions of the frames topic; returns those of instance b (its
     * consumers' client ids start with its client.id).
     */
    private static Set<Integer> awaitBothAssigned(NarratorConfig shared, Topics topics) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", shared.bootstrapServers());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        try (Admin admin = Admin.create(p)) {
            while (true) {
                ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(shared.applicationId())).all()
                        .get(30, TimeUnit.SECONDS).get(shared.applicationId());
                Set<Integer> ofA = new HashSet<>();
                Set<Integer> ofB = new HashSet<>();
                for (MemberDescription m : group.members())
                    for (TopicPartition tp : m.assignment().topicPartitions())
                        if (tp.topic().equals(topics.frames().name()))
                            (m.clientId().startsWith(shared.applicationId() + "-b") ? ofB : ofA).add(tp.partition());
                if (!ofA.isEmpty() && !ofB.isEmpty() && ofA.size() + ofB.size() == shared.topicPartitions()) return ofB;
                if (System.nanoTime() > deadline)
                    throw new AssertionError("the two instances do not share the frames partitions after 90 s: " + group);
                Thread.sleep(500);
            }
        }
    }

    private static void assertAlive(NarratorApp app) {
        assertThat(app.failure()).as("narrator failure").isNull();
        assertThat(app.state()).as("narrator state").isIn(KafkaStreams.State.RUNNING, KafkaStreams.State.REBALANCING);
    }
}
