package io.narrator.bench;

import io.narrator.avro.VideoFrame;
import io.narrator.stream.AvroSerde;
import io.narrator.stream.Topics;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The load generator: sends the frames of the first {@code streams} synthetic streams to the frames topic,
 * tick by tick (frame {@code k} of every stream at tick {@code k}). Paced, tick {@code k} is sent at
 * wall-clock time {@code start + k / fps} and carries that time as its event time, as live cameras do;
 * unpaced, every tick is sent at once with event times {@code base + k / fps}. The producer stays open
 * until {@link #close()}, so its thread's CPU time can be measured after sending.
 */
final class FrameSender implements AutoCloseable {
    /** Name of the thread the benchmark sends on (and client id of its producer), so that its CPU time can be told apart. */
    static final String THREAD = "bench-load";

    /**
     * What was sent.
     *
     * @param firstMicros event time of the first tick
     * @param lastMicros event time of the last tick
     * @param maxLateMs how late the latest tick was sent (paced only: the load generator's own lag)
     * @param cpuNanos CPU time of the sending thread
     */
    record Report(long frames, long bytes, long firstMicros, long lastMicros, long startedAtMillis, long finishedAtMillis, double maxLateMs,
            long cpuNanos) {}

    private final KafkaProducer<String, byte[]> producer;
    private final Topics topics;
    private final SyntheticStreams source;
    private final int streams;
    private final AvroSerde<VideoFrame> serde = AvroSerde.of(VideoFrame.class);

    FrameSender(String bootstrapServers, Topics topics, SyntheticStreams source, int streams) {
        if (streams < 1 || streams > source.streams())
            throw new IllegalArgumentException("streams must be in [1, " + source.streams() + "], got " + streams);
        this.topics = topics;
        this.source = source;
        this.streams = streams;
        this.producer = new KafkaProducer<>(properties(bootstrapServers), new StringSerializer(), new ByteArraySerializer());
    }

    /** Sends {@code seconds} of video in real time, starting now; returns once every frame is acknowledged. */
    Report paced(double seconds) throws InterruptedException {
        return send(seconds, System.currentTimeMillis() * 1000, true);
    }

    /** Sends {@code seconds} of video as fast as possible with event times from {@code baseMicros}. */
    Report unpaced(double seconds, long baseMicros) throws InterruptedException {
        return send(seconds, baseMicros, false);
    }

    private Report send(double seconds, long baseMicros, boolean paced) throws InterruptedException {
        long cpu0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        long ticks = Math.max(1, (long) Math.floor(seconds * source.fps()));
        AtomicReference<Exception> failure = new AtomicReference<>();
        long frames = 0;
        long bytes = 0;
        double maxLateMs = 0;
        long started = System.currentTimeMillis();
        long lastMicros = baseMicros;
        for (long k = 0; k < ticks && failure.get() == null; k++) {
            long eventMicros = baseMicros + Math.round(k * 1_000_000d / source.fps());
            if (paced) {
                long waitMicros = eventMicros - System.currentTimeMillis() * 1000;
                if (waitMicros > 0) TimeUnit.MICROSECONDS.sleep(waitMicros);
                else maxLateMs = Math.max(maxLateMs, -waitMicros / 1000.0);
            }
            for (int s = 0; s < streams; s++) {
                String id = SyntheticStreams.streamId(s);
                VideoFrame frame = VideoFrame.newBuilder().setStreamId(id).setSequence(k).setTimestampMicros(eventMicros).setEncoding("JPEG")
                        .setWidth(source.width()).setHeight(source.height()).setData(ByteBuffer.wrap(source.frame(s, k))).build();
                byte[] value = serde.encode(frame);
                producer.send(new ProducerRecord<>(topics.frames().name(), id, value), (metadata, e) -> {
                    if (e != null) failure.compareAndSet(null, e);
                });
                frames++;
                bytes += value.length;
            }
            lastMicros = eventMicros;
        }
        producer.flush();
        if (failure.get() != null) throw new IllegalStateException("cannot send benchmark frames: " + failure.get().getMessage(), failure.get());
        long cpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu0;
        return new Report(frames, bytes, baseMicros, lastMicros, started, System.currentTimeMillis(), maxLateMs, cpu);
    }

    private static Properties properties(String bootstrapServers) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, THREAD);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 << 10));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(256L << 20));
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(8 << 20));
        return p;
    }

    /** Publishes a prompt ({@code NarrationPrompt} bytes) under {@code key} and waits for the broker's acknowledgement. */
    void prompt(String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topics.prompts().name(), key, value)).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing the benchmark's prompt", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot publish the benchmark's prompt to " + topics.prompts().name() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
