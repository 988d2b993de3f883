package io.narrator.ingest;

import static org.bytedeco.ffmpeg.global.avutil.av_frame_clone;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.ffmpeg.avutil.AVFrame;

/**
 * Converts kept frames to images ({@link KeptFrameConverter}) and JPEG-encodes them on a helper thread
 * while the caller goes on decoding, then delivers them to the {@link SinkFeed} on the caller's thread,
 * in order. The helper works on a new reference to the decoded picture ({@code av_frame_clone}, no
 * pixel copy), so the decoder can move on at once. With {@code maxInFlight} 0 everything happens on
 * the caller's thread (used for {@code --realtime}, where each frame must leave at its time).
 */
final class JpegPipeline implements AutoCloseable {
    private record Pending(long timestampMicros, int width, int height, double mediaSeconds, Future<byte[]> jpeg) {}

    private final SinkFeed feed;
    private final int maxInFlight;
    /** Used by the helper thread when there is one (handed over through the executor), else by the caller. */
    private final KeptFrameConverter converter = new KeptFrameConverter();
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

    /** Queues a decoded picture for conversion, encoding and delivery; the caller keeps its own reference. */
    void submit(AVFrame picture, long timestampMicros, double mediaSeconds) {
        int width = picture.width();
        int height = picture.height();
        if (helper == null) {
            feed.frame(timestampMicros, width, height, FrameEncoding.JPEG, jpeg.encode(converter.toImage(picture)), mediaSeconds);
            return;
        }
        deliverReady();
        while (pending.size() >= maxInFlight) deliver(pending.removeFirst());
        AVFrame reference = av_frame_clone(picture);
        if (reference == null) throw new IngestException("out of memory: cannot keep a decoded " + width + "x" + height + " frame");
        Future<byte[]> bytes = helper.submit(() -> {
            try {
                return jpeg.encode(converter.toImage(reference));
            } finally {
                av_frame_free(reference);
            }
        });
        pending.addLast(new Pending(timestampMicros, width, height, mediaSeconds, bytes));
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

    /** Finishes queued work without delivering it and releases the converter, the encoder and the thread. */
    @Override
    public void close() {
        pending.clear();
        Runnable release = () -> {
            converter.close();
            jpeg.close();
        };
        if (helper == null) {
            release.run();
        } else {
            helper.execute(release); // after the queued tasks, which still hold their picture references and free them
            helper.shutdown();
        }
    }
}
