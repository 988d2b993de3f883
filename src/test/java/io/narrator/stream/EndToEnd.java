package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import io.narrator.cli.Main;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * End-to-end checks run against any broker (the embedded one and a Testcontainers one), and what the fault tests
 * share: a narrator in a JVM of its own that can be killed ({@link NarratorProcess}), live streams of frames
 * ({@link LiveFeed}), and the windows every stream must be captioned for, exactly once ({@link #windows},
 * {@link #assertEachWindowOnce}) and on time ({@link #assertOnTime}).
 */
final class EndToEnd {
    static final String[] COLOURS = {"red", "green", "blue", "yellow", "white", "magenta", "cyan", "black"};
    /** Longest wait for a narrator process to start (JVM, model, joining the group) or for a live feed to end. */
    static final Duration PROCESS_START = Duration.ofMinutes(2);

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
        try (NarratorProcess first = NarratorProcess.fake(config, "first");
                KafkaProducer<String, byte[]> producer = KafkaTestSupport.producer(bootstrap)) {
            for (int second = 0; second < seconds / 2; second++)
                for (int s = 0; s < 3; s++) KafkaTestSupport.send(producer, topics, TestMedia.frame("cam-" + s, second, second, colour(s, second)));
            producer.flush();
            KafkaTestSupport.readCaptions(bootstrap, topics, got -> got.size() >= 3);
            first.kill();
            for (int second = seconds / 2; second <= seconds; second++)
                for (int s = 0; s < 3; s++) KafkaTestSupport.send(producer, topics, TestMedia.frame("cam-" + s, second, second, colour(s, second)));
        }
        try (NarratorProcess second = NarratorProcess.fake(config, "second")) {
            List<Caption> captions = KafkaTestSupport.readCaptions(bootstrap, topics,
                    got -> got.stream().filter(c -> c.getWindowEndMicros() == seconds * 1_000_000L).count() == 3);
            assertCaptions(captions, 3, seconds);
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

    /** Stream ids {@code prefix-0} ... {@code prefix-(n-1)}. */
    static List<String> streams(String prefix, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) ids.add(prefix + "-" + i);
        return ids;
    }

    /**
     * The windows that frames at seconds 0 to {@code lastSecond} close, per stream in clip order, with the frames each
     * holds (the latest {@code maxFrames}, the model's), by the window rule of {@code config} (a window closes when a
     * frame at or after its end arrives).
     */
    static Map<String, List<ClipWindows.Clip<Integer>>> windows(NarratorConfig config, List<String> streams, int lastSecond, int maxFrames) {
        Map<String, List<ClipWindows.Clip<Integer>>> windows = new LinkedHashMap<>();
        for (String stream : streams) {
            ClipWindows<Integer> rule = config.clipWindows(stream, maxFrames);
            List<ClipWindows.Clip<Integer>> closed = new ArrayList<>();
            for (int t = 0; t <= lastSecond; t++) closed.addAll(rule.add(t * 1_000_000L, t));
            windows.put(stream, closed);
        }
        return windows;
    }

    /** For {@link KafkaTestSupport#readCaptions}: done once every window of {@code windows} has a caption. */
    static Predicate<List<Caption>> everyWindow(Map<String, List<ClipWindows.Clip<Integer>>> windows) {
        int total = windows.values().stream().mapToInt(List::size).sum();
        return got -> {
            if (got.size() < total) return false;
            Set<String> seen = new HashSet<>();
            for (Caption c : got) seen.add(c.getStreamId() + "@" + c.getWindowEndMicros());
            return windows.entrySet().stream().allMatch(e -> e.getValue().stream().allMatch(w -> seen.contains(e.getKey() + "@" + w.endMicros())));
        };
    }

    /**
     * Every window of {@code windows} has exactly one caption, made of all of its frames (none lost); the streams'
     * captions come in clip order with clip indexes 0, 1, 2 ...; no caption is of another window or stream. Each caption
     * has text and no error, or, when {@code errorCaptions} is set, either text or an error saying why the clip was skipped.
     */
    static void assertEachWindowOnce(List<Caption> captions, Map<String, List<ClipWindows.Clip<Integer>>> windows, boolean errorCaptions) {
        Map<String, List<String>> expected = new TreeMap<>();
        windows.forEach((stream, clips) -> expected.put(stream, clips.stream().map(w -> clip(w.index(), w.endMicros(), w.timestamps())).toList()));
        Map<String, List<String>> got = new TreeMap<>(captions.stream().collect(Collectors.groupingBy(Caption::getStreamId,
                Collectors.mapping(c -> clip(c.getClipIndex(), c.getWindowEndMicros(), c.getFrameTimestamps()), Collectors.toList()))));
        assertThat(got).as("each stream's captions as clipIndex@windowEndSeconds[frameSeconds], in the order published").isEqualTo(expected);
        for (Caption c : captions) {
            String which = c.getStreamId() + " clip " + c.getClipIndex() + ": text '" + c.getText() + "', error " + c.getError();
            if (errorCaptions && c.getError() != null) {
                assertThat(c.getText()).as(which).isEmpty();
                assertThat(c.getError()).as(which).startsWith("skipped: ");
            } else {
                assertThat(c.getError()).as(which).isNull();
                assertThat(c.getText()).as(which).isNotBlank();
            }
        }
    }

    private static String clip(long index, long endMicros, List<Long> frameMicros) {
        return index + "@" + endMicros / 1_000_000 + frameMicros.stream().map(t -> String.valueOf(t / 1_000_000)).collect(Collectors.joining(",", "[", "]"));
    }

    /**
     * Every caption {@code which} selects whose window closed (its closing frame was sent) at or after {@code fromMillis}
     * was made within {@code bound} of that; fails naming the late ones. Returns how many captions it checked.
     */
    static int assertOnTime(List<Caption> captions, LiveFeed feed, Predicate<Caption> which, long fromMillis, Duration bound, String what) {
        List<String> late = new ArrayList<>();
        List<Long> latencies = new ArrayList<>();
        for (Caption c : captions) {
            long closedAt = feed.sentAtMillis(c.getWindowEndMicros());
            if (!which.test(c) || closedAt < fromMillis) continue;
            long latency = c.getCreatedAtMillis() - closedAt;
            latencies.add(latency);
            if (latency > bound.toMillis()) late.add(c.getStreamId() + " window ending at " + c.getWindowEndMicros() / 1_000_000 + " s: " + latency + " ms");
        }
        latencies.sort(null);
        String summary = latencies.isEmpty() ? "no captions" : latencies.size() + " captions, latency median "
                + latencies.get(latencies.size() / 2) + " ms, worst " + latencies.get(latencies.size() - 1) + " ms";
        System.out.println("on time? " + what + ": " + summary); // the measured figures, in the build's log
        assertThat(late).as(what + ": captions later than " + bound.toMillis() + " ms after their window closed (" + summary + ")").isEmpty();
        return latencies.size();
    }

    /** The longest any caption {@code which} selects took from its window closing at or after {@code fromMillis}; -1 if none. */
    static long worstLatencyMs(List<Caption> captions, LiveFeed feed, Predicate<Caption> which, long fromMillis) {
        return captions.stream().filter(which).filter(c -> feed.sentAtMillis(c.getWindowEndMicros()) >= fromMillis)
                .mapToLong(c -> c.getCreatedAtMillis() - feed.sentAtMillis(c.getWindowEndMicros())).max().orElse(-1);
    }

    /** A narrator in a JVM of its own, so that a test can kill it abruptly (SIGKILL) and start another. */
    static final class NarratorProcess implements AutoCloseable {
        private final String name;
        private final Process process;
        private final Path log;
        private final String readyText;
        private final CountDownLatch ready = new CountDownLatch(1);

        private NarratorProcess(String name, List<String> mainAndArgs, String readyText) throws IOException {
            this.name = name;
            this.readyText = readyText;
            Files.createDirectories(Path.of("target"));
            this.log = Path.of("target", "narrator-process-" + name + ".log").toAbsolutePath();
            List<String> command = new ArrayList<>(List.of(
                    System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                    "-Xmx1g", "-XX:+ExitOnOutOfMemoryError", "-Djavacpp.platform=linux-x86_64", "-Dai.djl.offline=true",
                    "-cp", System.getProperty("java.class.path")));
            command.addAll(mainAndArgs);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("OMP_WAIT_POLICY", "PASSIVE"); // as bin/narrator: idle OpenMP threads sleep instead of spinning
            this.process = builder.start();
            Thread pump = new Thread(this::pumpOutput, "output-of-" + name);
            pump.setDaemon(true);
            pump.start();
        }

        /** Launches {@code narrator run} (the CLI, with the bundled model) on {@code config}, written to a properties file; see {@link #awaitRunning()}. */
        static NarratorProcess launch(NarratorConfig config, String name) throws IOException {
            Path file = Path.of("target", name + ".properties").toAbsolutePath();
            Files.writeString(file, config.properties().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining("\n", "", "\n")));
            return new NarratorProcess(name, List.of(Main.class.getName(), "run", "--config", file.toString()), "narrator running (");
        }

        /** {@code narrator run} on {@code config}, once it runs. */
        static NarratorProcess run(NarratorConfig config, String name) throws IOException, InterruptedException {
            NarratorProcess p = launch(config, name);
            p.awaitRunning();
            return p;
        }

        /** {@link NarratorProcessMain}: the fake narration on {@code config}, once it runs. */
        static NarratorProcess fake(NarratorConfig config, String name) throws IOException, InterruptedException {
            List<String> args = new ArrayList<>(List.of(NarratorProcessMain.class.getName()));
            config.properties().forEach((k, v) -> args.add(k + "=" + v));
            NarratorProcess p = new NarratorProcess(config.applicationId() + "-" + name, args, "RUNNING");
            p.awaitRunning();
            return p;
        }

        /** Waits until the narrator says it runs; fails (and kills it) if it exits first or takes longer than {@link #PROCESS_START}. */
        void awaitRunning() throws InterruptedException {
            long deadline = System.nanoTime() + PROCESS_START.toNanos();
            while (!ready.await(200, TimeUnit.MILLISECONDS)) {
                if (!process.isAlive()) throw new AssertionError(this + " exited with " + process.exitValue() + " before running:\n" + logTail());
                if (System.nanoTime() > deadline) {
                    kill();
                    throw new AssertionError(this + " did not run within " + PROCESS_START.toSeconds() + " s:\n" + logTail());
                }
            }
        }

        /** Kills the process with SIGKILL (no shutdown hook runs, nothing is flushed or committed) and waits until it is gone. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError(this + " still runs 30 s after SIGKILL");
        }

        boolean isAlive() {
            return process.isAlive();
        }

        /** The last lines the process printed (standard output and error). */
        String logTail() {
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
            } catch (IOException e) {
                return "(cannot read " + log + ": " + e.getMessage() + ")";
            }
        }

        private void pumpOutput() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                    BufferedWriter out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
                String line;
                while ((line = in.readLine()) != null) {
                    out.write(line);
                    out.newLine();
                    out.flush();
                    if (line.contains(readyText)) ready.countDown();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading the output of " + this, e);
            }
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) kill();
        }

        @Override
        public String toString() {
            return "narrator process " + name + " (pid " + process.pid() + ", log " + log + ")";
        }
    }

    /**
     * Live cameras on the synthetic world: every stream sends one 160×120 JPEG frame per second of event time from second
     * 0, each when its second comes on the wall clock (what {@code narrator ingest} of a live source at 1 FPS does), until
     * the second the test ends it at ({@link #endAt}; at most {@link #MAX_SECONDS}). Remembers when each second's frames
     * were sent; every send must be acknowledged.
     */
    static final class LiveFeed implements AutoCloseable {
        /** A feed that is never ended stops after this many seconds. */
        static final int MAX_SECONDS = 600;
        private final List<String> streams;
        private final Topics topics;
        private final KafkaProducer<String, byte[]> producer;
        private final Map<String, List<byte[]>> jpegs = new LinkedHashMap<>();
        private final AtomicLongArray sentAtMillis = new AtomicLongArray(MAX_SECONDS + 1);
        private final AtomicLong acknowledged = new AtomicLong();
        private final AtomicReference<Exception> failure = new AtomicReference<>();
        private final Thread thread;
        private volatile int lastSecond = MAX_SECONDS;
        private volatile int sentSecond = -1;
        private volatile long startNanos;

        private LiveFeed(String bootstrap, Topics topics, List<String> streams) {
            this.streams = List.copyOf(streams);
            this.topics = topics;
            for (int i = 0; i < streams.size(); i++) jpegs.put(streams.get(i), TestMedia.worldJpegs(1000 + i, 16, 160, 120));
            this.producer = KafkaTestSupport.producer(bootstrap);
            this.thread = new Thread(this::run, "live-feed");
            thread.setDaemon(true);
        }

        /** Starts sending at once: second 0 now, second 1 a second later, and so on. */
        static LiveFeed start(String bootstrap, Topics topics, List<String> streams) {
            LiveFeed feed = new LiveFeed(bootstrap, topics, streams);
            feed.startNanos = System.nanoTime();
            feed.thread.start();
            return feed;
        }

        private void run() {
            try {
                for (int t = 0; t <= lastSecond; t++) {
                    long wait = startNanos + TimeUnit.SECONDS.toNanos(t) - System.nanoTime();
                    if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                    for (String stream : streams) {
                        List<byte[]> frames = jpegs.get(stream);
                        var frame = TestMedia.frame(stream, t, t * 1_000_000L, "JPEG", 160, 120, frames.get(t % frames.size()));
                        producer.send(new ProducerRecord<>(topics.frames().name(), stream, AvroSerde.of(io.narrator.avro.VideoFrame.class).encode(frame)),
                                (metadata, e) -> {
                                    if (e != null) failure.compareAndSet(null, e);
                                    else acknowledged.incrementAndGet();
                                });
                    }
                    sentAtMillis.set(t, System.currentTimeMillis());
                    sentSecond = t;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            }
        }

        /** The stream ids. */
        List<String> streams() {
            return streams;
        }

        /** The last second whose frames have been sent, -1 before the first. */
        int sentSecond() {
            return sentSecond;
        }

        /**
         * Ends the feed {@code after} from now on its schedule (a feed held up, as by a broker outage, sends what it owes at
         * once); returns the last second it will send.
         */
        int endAfter(Duration after) {
            long dueNow = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos);
            return endAt((int) Math.max(sentSecond + 1, dueNow + after.toSeconds()));
        }

        /** Makes {@code second} the last second sent; returns it. */
        int endAt(int second) {
            if (second <= sentSecond || second > MAX_SECONDS)
                throw new IllegalArgumentException("cannot end at second " + second + ": second " + sentSecond + " is sent, at most " + MAX_SECONDS);
            lastSecond = second;
            return second;
        }

        /** The last second the feed sends. */
        int lastSecond() {
            return lastSecond;
        }

        /** Waits until the frames of {@code second} have been sent (at most a minute after they are due). */
        void awaitSecond(int second) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(second + 60L);
            while (sentSecond < second) {
                if (failure.get() != null) throw new AssertionError("the live feed failed", failure.get());
                if (System.nanoTime() > deadline) throw new AssertionError("the live feed has not sent second " + second + " (at " + sentSecond + ")");
                Thread.sleep(50);
            }
        }

        /** Waits until every frame up to {@link #lastSecond()} has been sent and acknowledged by the broker; fails if one was not. */
        void awaitEnd() throws InterruptedException {
            awaitSecond(lastSecond);
            thread.join(TimeUnit.SECONDS.toMillis(10));
            producer.flush();
            if (failure.get() != null) throw new AssertionError("the live feed failed", failure.get());
            assertThat(acknowledged.get()).as("frames acknowledged by the broker").isEqualTo((long) streams.size() * (lastSecond + 1));
        }

        /** The wall-clock time (ms) the frames of the second at {@code micros} were sent: when windows ending then closed. */
        long sentAtMillis(long micros) {
            long second = micros / 1_000_000;
            if (micros % 1_000_000 != 0 || second < 0 || second > sentSecond) throw new IllegalArgumentException("no frame was sent at " + micros + " us");
            return sentAtMillis.get((int) second);
        }

        @Override
        public void close() throws InterruptedException {
            thread.interrupt();
            thread.join(TimeUnit.SECONDS.toMillis(10));
            producer.close(Duration.ofSeconds(30));
        }
    }
}
