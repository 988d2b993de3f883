package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import io.narrator.avro.VideoFrame;
import io.narrator.stream.AvroSerde;
import io.narrator.stream.EmbeddedKafkaBroker;
import io.narrator.stream.NarratorConfig;
import io.narrator.stream.Topics;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How long captions stop when {@code narrator run} (the bundled model, in a JVM of its own) is killed with SIGKILL and
 * started again at once, on the embedded broker: a live stream of one frame per wall-clock second, 2 s windows every
 * second, and the time from the kill to the first caption published after it. Without static membership the group
 * waits for the dead member's session to expire before anyone gets its partitions; with {@code group.instance.id} the
 * restarted instance takes its own partitions back as soon as it is up.
 */
class RestartRecoveryIT {
    @TempDir static Path dir;
    static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedKafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    /**
     * What one kill and restart cost: from the kill to the restarted instance running and to its first caption, and of
     * that the time its Kafka Streams took to join the group (started to running, from its log).
     */
    record Restart(long runningAfterMs, long captionAfterMs, long joinMs) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "running %.1f s after the kill (joining the group took %.1f s of it), first caption %.1f s after the kill",
                    runningAfterMs / 1000.0, joinMs / 1000.0, captionAfterMs / 1000.0);
        }
    }

    @Test
    void aKilledInstanceRestartedWithItsGroupInstanceIdCaptionsAgainWithoutWaitingForItsSession() throws Exception {
        // a long session, so that waiting for it would show: the restart must not
        Restart restart = killAndRestart("static", Map.of("session.timeout.ms", "30000"), "narrator-0");
        System.out.println("static membership, session.timeout.ms=30000: " + restart);
        // not waiting for the session: joining takes a fraction of it, and captions are back before it would have expired
        assertThat(restart.joinMs()).as("ms the restarted instance took to join its group").isLessThan(10_000);
        assertThat(restart.captionAfterMs()).as("ms from the kill to the first caption after it").isLessThan(30_000);
    }

    @Test
    void aKilledInstanceRestartedWithoutOneCaptionsAgainOnceNarratorsShorterSessionExpires() throws Exception {
        Restart restart = killAndRestart("dynamic", Map.of(), null);
        System.out.println("dynamic membership, session.timeout.ms=10000 (Narrator's default): " + restart);
        assertThat(restart.captionAfterMs()).as("ms from the kill to the first caption after it").isBetween(10_000L, 25_000L);
    }

    private Restart killAndRestart(String name, Map<String, String> extra, String instanceId) throws Exception {
        Path config = config(name, extra);
        Topics topics = Topics.from(NarratorConfig.load(config));
        List<Caption> captions = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread feeder = new Thread(() -> feed(topics, stop), "feeder-" + name);
        Thread reader = new Thread(() -> read(topics, captions, stop), "reader-" + name);
        Process first = start(config, instanceId, logFile(name + "-1"));
        Process second = null;
        try {
            feeder.start();
            reader.start();
            awaitCaptions(captions, 5);
            long kill = System.currentTimeMillis();
            first.destroyForcibly().waitFor();
            File log = logFile(name + "-2");
            second = start(config, instanceId, log);
            long running = System.currentTimeMillis();
            Caption after = awaitCaptionAfter(captions, kill);
            return new Restart(running - kill, after.getCreatedAtMillis() - kill, joinMillis(log));
        } finally {
            stop.set(true);
            feeder.join(10_000);
            reader.join(10_000);
            first.destroyForcibly().waitFor();
            if (second != null) second.destroyForcibly().waitFor();
        }
    }

    private static Path config(String name, Map<String, String> extra) throws Exception {
        Map<String, String> p = new HashMap<>(Map.of("bootstrap.servers", broker.bootstrapServers(), "application.id", name, "topic.prefix", name + ".",
                "topic.partitions", "1", "window.seconds", "2", "hop.seconds", "1", "commit.interval.ms", "100",
                "state.dir", Files.createDirectories(dir.resolve("state-" + name)).toString()));
        p.putAll(extra);
        Path file = dir.resolve(name + ".properties");
        Files.writeString(file, p.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("\n")) + "\n");
        return file;
    }

    private static File logFile(String name) {
        return new File("target", "restart-" + name + ".log");
    }

    /** From Kafka Streams' start to running, by the times of the narrator's log lines {@code CREATED -> REBALANCING} and {@code -> RUNNING}. */
    private static long joinMillis(File log) throws Exception {
        List<String> lines = Files.readAllLines(log.toPath());
        java.time.LocalTime started = null;
        for (String line : lines) {
            if (line.contains("narrator CREATED -> REBALANCING")) started = java.time.LocalTime.parse(line.substring(0, 12));
            else if (started != null && line.contains("-> RUNNING")) return Duration.between(started, java.time.LocalTime.parse(line.substring(0, 12))).toMillis();
        }
        throw new AssertionError("no start and run of Kafka Streams in " + log);
    }

    /** {@code narrator run} in a JVM of its own, once it says it runs. */
    private static Process start(Path config, String instanceId, File logFile) throws Exception {
        List<String> command = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "-Xmx1g", "-XX:+ExitOnOutOfMemoryError", "-Djavacpp.platform=linux-x86_64", "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", "--config", config.toString()));
        if (instanceId != null) command.addAll(List.of("--group-instance-id", instanceId));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.to(logFile)).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.startsWith("narrator running")) {
            // wait until Kafka Streams runs
        }
        if (line == null) throw new AssertionError("narrator run exited before running; see " + logFile);
        if (instanceId != null) assertThat(line).contains("group.instance.id " + instanceId);
        return process;
    }

    /** One frame a wall-clock second for stream {@code live}, timestamped with the wall clock, until stopped. */
    private static void feed(Topics topics, AtomicBoolean stop) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        AvroSerde<VideoFrame> serde = AvroSerde.of(VideoFrame.class);
        String[] colours = {"red", "green", "blue", "white"};
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (long seq = 0; !stop.get(); seq++) {
                long now = System.currentTimeMillis();
                byte[] jpeg = jpeg(colours[(int) (seq % colours.length)]);
                producer.send(new ProducerRecord<>(topics.frames().name(), "live", serde.encode(VideoFrame.newBuilder().setStreamId("live").setSequence(seq)
                        .setTimestampMicros(now * 1000).setEncoding("JPEG").setWidth(96).setHeight(96).setData(ByteBuffer.wrap(jpeg)).build())));
                producer.flush();
                Thread.sleep(Math.max(0, now + 1000 - System.currentTimeMillis()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] jpeg(String colour) {
        java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(96, 96, java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
        java.awt.Graphics2D g = image.createGraphics();
        g.setColor(switch (colour) {
            case "red" -> java.awt.Color.RED;
            case "green" -> java.awt.Color.GREEN;
            case "blue" -> java.awt.Color.BLUE;
            default -> java.awt.Color.WHITE;
        });
        g.fillRect(0, 0, 96, 96);
        g.dispose();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            ImageIO.write(image, "jpeg", out);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Reads committed captions as they are published, until stopped. */
    private static void read(Topics topics, List<Caption> captions, AtomicBoolean stop) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        AvroSerde<Caption> serde = AvroSerde.of(Caption.class);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = List.of();
            while (partitions.isEmpty() && !stop.get())
                partitions = consumer.partitionsFor(topics.captions().name()).stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (!stop.get()) for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) captions.add(serde.decode(r.value()));
        }
    }

    private static void awaitCaptions(List<Caption> captions, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (captions.size() < count) {
            if (System.nanoTime() > deadline) throw new AssertionError("only " + captions.size() + " captions in two minutes: " + captions);
            Thread.sleep(50);
        }
    }

    private static Caption awaitCaptionAfter(List<Caption> captions, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (true) {
            for (Caption c : captions) if (c.getCreatedAtMillis() > millis) return c;
            if (System.nanoTime() > deadline) throw new AssertionError("no caption after the restart in two minutes; captions: " + captions);
            Thread.sleep(20);
        }
    }
}
