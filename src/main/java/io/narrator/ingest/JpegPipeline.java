package io.narrator.ingest;

import java.awt.image.BufferedImage;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * JPEG-encodes kept frames on a helper thread while the caller goes on decoding, and delivers them to
 * the {@link SinkFeed} on the caller's thread, in order. With {@code maxInFlight} 0 it encodes on the
 * caller's thread (used for {@code --realtime}, where each frame must leave at its time).
 */
final class JpegPipeline implements AutoCloseable {
    private record Pending(long timestampMicros, int width, int height, double mediaSeconds, Future<byte[]> jpeg) {}

    private final SinkFeed feed;
    private final int maxInFlight;
    /** Used only by the helper thread when there is one (handed over through the executor), else by the caller. */
    private final JpegEncoder jpeg;
    private final ExecutorService helper;
    private final Deque<Pending> pending = new ArrayDeque<>();

    JpegPipeline(SinkFeed feed, float quality, int maxInFlight) {
        if (maxInFlight < 0) throw new IllegalArgumentException("maxInFlight must be >= 0, got " + maxInFlight);
        this.feed = feed;
        this.maxInFlight = maxInFlight;
        this.jpeg = new JpegEncoder(quality);
        this.helper = maxInFlight == 0 ? null : Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "narrator-jpeg");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Queues {@code image}, which the pipeline now owns, for encoding and delivery. */
    void submit(BufferedImage image, long timestampMicros, double mediaSeconds) {
        if (helper == null) {
            feed.frame(timestampMicros, image.getWidth(), image.getHeight(), FrameEncoding.JPEG, jpeg.encode(image), mediaSeconds);
            return;
        }
        deliverReady();
        while (pending.size() >= maxInFlight) deliver(pending.removeFirst());
        Future<byte[]> bytes = helper.submit(() -> jpeg.encode(image));
        pending.addLast(new Pending(timestampMicros, image.getWidth(), image.getHeight(), mediaSeconds, bytes));
    }

    /** Delivers the frames whose encoding has finished, without waiting. */
    void deliverReady() {
        while (!pending.isEmpty() && pending.peekFirst().jpeg().isDone()) deliver(pending.removeFirst());
    }

    /** Waits for and delivers every queued frame. */
    void drain() {
        while (!pending.isEmpty()) deliver(pending.removeFirst());
    }

    private void deliver(Pending p) {
        byte[] bytes;
        try {
            bytes = p.jpeg().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IngestException("interrupted while JPEG-encoding frames", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) throw re;
            throw new IngestException("JPEG encoding failed: " + cause, cause);
        }
        feed.frame(p.timestampMicros(), p.width(), p.height(), FrameEncoding.JPEG, bytes, p.mediaSeconds());
    }

    /** Drops undelivered frames and releases the encoder and its thread. */
    @Override
    public void close() {
        pending.forEach(p -> p.jpeg().cancel(false));
        pending.clear();
        if (helper == null) {
            jpeg.close();
        } else {
            helper.execute(jpeg::close);
            helper.shutdown();
        }
    }
}
