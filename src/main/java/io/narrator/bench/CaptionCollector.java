package io.narrator.bench;

import io.narrator.avro.Caption;
import io.narrator.stream.AvroSerde;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the captions topic from the beginning as a {@code read_committed} consumer (what subscribers see:
 * only captions of committed transactions) on its own thread, noting the wall-clock time each caption arrived.
 */
final class CaptionCollector implements AutoCloseable {
    /** Name of the collector's thread. */
    static final String THREAD = "bench-captions";

    /** A caption and when it became visible to a subscriber. */
    record Received(Caption caption, long receivedAtMillis) {}

    private final KafkaConsumer<String, byte[]> consumer;
    private final AvroSerde<Caption> serde = AvroSerde.of(Caption.class);
    private final List<Received> received = new ArrayList<>();
    private final Thread thread;
    private volatile RuntimeException failure;

    CaptionCollector(String bootstrapServers, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, THREAD);
        consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(i -> new TopicPartition(topic, i.partition())).toList();
        if (partitions.isEmpty()) throw new IllegalStateException("captions topic " + topic + " has no partitions");
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread = new Thread(this::run, THREAD);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (true) {
                var records = consumer.poll(Duration.ofMillis(50));
                if (records.isEmpty()) continue;
                long now = System.currentTimeMillis();
                List<Received> batch = new ArrayList<>(records.count());
                for (ConsumerRecord<String, byte[]> r : records) batch.add(new Received(serde.decode(r.value()), now));
                synchronized (received) {
                    received.addAll(batch);
                    received.notifyAll();
                }
            }
        } catch (WakeupException stopping) {
            // close() was called
        } catch (RuntimeException e) {
            failure = e;
            synchronized (received) {
                received.notifyAll();
            }
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    /** The captions read so far, in arrival order. */
    List<Received> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /** Waits until {@code done} holds for the captions read so far; false if {@code timeout} passed first. */
    boolean await(Predicate<List<Received>> done, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (received) {
            while (!done.test(received)) {
                if (failure != null) throw new IllegalStateException("cannot read captions: " + failure.getMessage(), failure);
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                received.wait(Math.max(1, Math.min(left / 1_000_000, 200)));
            }
            return true;
        }
    }

    @Override
    public void close() throws InterruptedException {
        consumer.wakeup();
        thread.join(10_000);
    }
}
