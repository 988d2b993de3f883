package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;

/** End-to-end checks run against any broker: the embedded one and a Testcontainers one. */
final class EndToEnd {
    static final String[] COLOURS = {"red", "green", "blue", "yellow", "white", "magenta", "cyan", "black"};

    private EndToEnd() {}

    /** The colour stream {@code s} shows during second {@code second}. */
    static String colour(int s, int second) {
        return COLOURS[(s * 3 + second) % COLOURS.length];
    }

    /** The fake's caption for the window ending at {@code end} seconds (window 2 s, hop 1 s, one frame per second). */
    static String expectedText(int s, int end) {
        List<String> frames = new ArrayList<>();
        for (int second = Math.max(0, end - 2); second < end; second++) frames.add(colour(s, second));
        return "frames=" + String.join(",", frames);
    }

    static String unique(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Three streams of 5 fps frames in, the right captions out, exactly once each. */
    static void threeStreamsOfFrames(String bootstrap) throws Exception {
        NarratorConfig config = KafkaTestSupport.config(bootstrap, unique("three"), Map.of());
        Topics topics = Topics.from(config);
        int seconds = 6;
        try (NarratorApp app = NarratorApp.create(config, new FakeNarration())) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            try (KafkaProducer<String, byte[]> producer = KafkaTestSupport.producer(bootstrap)) {
                for (int i = 0; i <= seconds * 5; i++)
                    for (int s = 0; s < 3; s++)
                        KafkaTestSupport.send(producer, topics, TestMedia.frame("cam-" + s, i, i / 5.0, colour(s, i / 5)));
            }
            List<Caption> captions = KafkaTestSupport.readCaptions(bootstrap, topics, got -> got.size() >= 3 * seconds);
            assertCaptions(captions, 3, seconds);
            assertThat(app.engine().metrics().count("narrator.frames.dropped", "reason", "drop_rate")).isEqualTo(3 * seconds * 4);
        }
    }

    /**
     * Runs the narrator in its own JVM, kills it (SIGKILL) mid-stream and starts it again on the same
     * state directory: every window of every stream is captioned exactly once for read_committed consumers.
     */
    static void killAndRestartCaptionsEachWindowExactlyOnce(String bootstrap) throws Exception {
        NarratorConfig config = KafkaTestSupport.config(bootstrap, unique("restart"), Map.of());
        Topics topics = Topics.from(config);
        int seconds = 16;
        Process first = startProcess(config);
        try (KafkaProducer<String, byte[]> producer = KafkaTestSupport.producer(bootstrap)) {
            for (int second = 0; second < seconds / 2; second++)
                for (int s = 0; s < 3; s++) KafkaTestSupport.send(producer, topics, TestMedia.frame("cam-" + s, second, second, colour(s, second)));
            producer.flush();
            KafkaTestSupport.readCaptions(bootstrap, topics, got -> got.size() >= 3);
            first.destroyForcibly().waitFor();
            for (int second = seconds / 2; second <= seconds; second++)
                for (int s = 0; s < 3; s++) KafkaTestSupport.send(producer, topics, TestMedia.frame("cam-" + s, second, second, colour(s, second)));
        }
        Process second = startProcess(config);
        try {
            List<Caption> captions = KafkaTestSupport.readCaptions(bootstrap, topics,
                    got -> got.stream().filter(c -> c.getWindowEndMicros() == seconds * 1_000_000L).count() == 3);
            assertCaptions(captions, 3, seconds);
        } finally {
            second.destroyForcibly().waitFor();
        }
    }

    /** Exactly one caption per (stream, window end 1..seconds), each with the expected text and clip index. */
    static void assertCaptions(List<Caption> captions, int streams, int seconds) {
        Map<String, List<String>> byStream = new TreeMap<>(captions.stream().collect(Collectors.groupingBy(Caption::getStreamId,
                Collectors.mapping(c -> c.getClipIndex() + "@" + c.getWindowEndMicros() / 1_000_000 + ":" + c.getText(), Collectors.toList()))));
        Map<String, List<String>> expected = new TreeMap<>();
        for (int s = 0; s < streams; s++) {
            List<String> texts = new ArrayList<>();
            for (int end = 1; end <= seconds; end++) texts.add((end - 1) + "@" + end + ":" + expectedText(s, end));
            expected.put("cam-" + s, texts);
        }
        assertThat(byStream).isEqualTo(expected);
        assertThat(captions).allMatch(c -> c.getError() == null);
    }

    private static Process startProcess(NarratorConfig config) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "-Xmx1g", "-Djavacpp.platform=linux-x86_64", "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), NarratorProcessMain.class.getName()));
        config.properties().forEach((k, v) -> command.add(k + "=" + v));
        File log = new File("target", "narrator-process-" + config.applicationId() + ".log");
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log)).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.equals("RUNNING")) {
            // wait for the child to report that Kafka Streams runs
        }
        if (line == null) throw new AssertionError("narrator process exited before running; see " + log);
        return process;
    }
}
