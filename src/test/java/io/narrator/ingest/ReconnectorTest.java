package io.narrator.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The backoff alone, over fake connections: which waits, when it resets, when it gives up. */
class ReconnectorTest {
    private static final VideoSource CAMERA = new VideoSource("rtsp://camera.local/stream", VideoSource.Kind.URL);
    private static final ReconnectPolicy POLICY = new ReconnectPolicy(Duration.ofMillis(500), Duration.ofSeconds(4), 2.0, 5);

    /** A connection that yields {@code frames} frames, then ends or drops. */
    private static final class FakeConnection implements AutoCloseable {
        final int frames;
        final boolean drops;
        boolean closed;
        Runnable onClose = () -> {};

        FakeConnection(int frames, boolean drops) {
            this.frames = frames;
            this.drops = drops;
        }

        @Override
        public void close() {
            closed = true;
            onClose.run();
        }
    }

    /** Opens scripted connections in turn; a null entry (or running out) is a refused connection. */
    private static final class FakeFactory implements Reconnector.Opener<FakeConnection> {
        final Deque<FakeConnection> script = new ArrayDeque<>();
        final List<FakeConnection> opened = new ArrayList<>();
        int calls;

        FakeFactory then(int frames, boolean drops) {
            script.add(new FakeConnection(frames, drops));
            return this;
        }

        FakeFactory thenRefused(int times) {
            for (int i = 0; i < times; i++) script.add(new FakeConnection(-1, true));
            return this;
        }

        @Override
        public FakeConnection open() {
            calls++;
            FakeConnection next = script.poll();
            if (next == null || next.frames < 0) throw new IngestException("cannot open stream " + CAMERA + " (Connection refused)");
            opened.add(next);
            return next;
        }
    }

    private static final class FakeReader implements SourceReader<FakeConnection> {
        long units;
        int reconnected;

        @Override
        public void read(FakeConnection connection) {
            units += connection.frames;
            if (connection.drops) throw new SourceDroppedException("reading stream " + CAMERA + " failed: I/O error", null);
        }

        @Override
        public long unitsRead() {
            return units;
        }

        @Override
        public void reconnected() {
            reconnected++;
        }
    }

    private final List<Duration> waits = new ArrayList<>();
    private boolean stopped;

    private Reconnector reconnector(VideoSource source, ReconnectPolicy policy) {
        return new Reconnector(source, policy, waits::add, () -> stopped);
    }

    @Test
    void backsOffExponentiallyUpToTheCapThenGivesUp() {
        FakeFactory factory = new FakeFactory().then(3, true).thenRefused(10);
        FakeReader reader = new FakeReader();
        assertThatThrownBy(() -> reconnector(CAMERA, POLICY).run(factory, c -> true, reader))
                .isInstanceOf(IngestException.class)
                .hasMessage("gave up on rtsp://camera.local/stream after 5 reconnect attempts; last error: "
                        + "cannot open stream rtsp://camera.local/stream (Connection refused)");
        assertThat(waits).containsExactly(ms(500), ms(1000), ms(2000), ms(4000), ms(4000));
        assertThat(factory.calls).isEqualTo(6);
        assertThat(reader.reconnected).isZero();
    }

    @Test
    void startsTheBackoffAfreshOnlyAfterAConnectionThatDeliveredVideo() {
        FakeFactory factory = new FakeFactory()
                .then(3, true).thenRefused(1)
                .then(2, true).thenRefused(2)
                .then(0, true) // accepted, then dropped before any frame: the backoff goes on growing
                .thenRefused(10);
        FakeReader reader = new FakeReader();
        assertThatThrownBy(() -> reconnector(CAMERA, POLICY).run(factory, c -> true, reader)).isInstanceOf(IngestException.class);
        assertThat(waits).containsExactly(ms(500), ms(1000), ms(500), ms(1000), ms(2000), ms(4000), ms(4000));
        assertThat(reader.reconnected).isEqualTo(2);
        assertThat(reader.units).isEqualTo(5);
        assertThat(factory.opened).allSatisfy(c -> assertThat(c.closed).isTrue());
    }

    @Test
    void aLiveStreamThatEndsIsReconnectedToo() throws Exception {
        FakeFactory factory = new FakeFactory().then(4, false).then(4, false);
        factory.script.peekLast().onClose = () -> stopped = true; // the user presses Ctrl-C during the second connection
        FakeReader reader = new FakeReader();
        assertThat(reconnector(CAMERA, POLICY).run(factory, c -> true, reader)).isEqualTo(1);
        assertThat(reader.units).isEqualTo(8);
    }

    @Test
    void filesAndSourcesWithAKnownLengthAreNeverReconnected() throws Exception {
        VideoSource file = new VideoSource("clip.mp4", VideoSource.Kind.FILE);
        FakeFactory ends = new FakeFactory().then(10, false);
        assertThat(reconnector(file, POLICY).run(ends, c -> true, new FakeReader())).isZero();

        FakeFactory drops = new FakeFactory().then(10, true);
        assertThatThrownBy(() -> reconnector(file, POLICY).run(drops, c -> true, new FakeReader()))
                .isInstanceOf(IngestException.class).hasMessage("reading stream rtsp://camera.local/stream failed: I/O error");

        FakeFactory vod = new FakeFactory().then(10, true); // a URL the predicate finds to have a length
        assertThatThrownBy(() -> reconnector(CAMERA, POLICY).run(vod, c -> false, new FakeReader())).isInstanceOf(IngestException.class);
        assertThat(waits).isEmpty();
        assertThat(ends.calls + drops.calls + vod.calls).isEqualTo(3);
    }

    @Test
    void theFirstConnectionMustOpen() {
        FakeFactory factory = new FakeFactory().thenRefused(1);
        assertThatThrownBy(() -> reconnector(CAMERA, POLICY).run(factory, c -> true, new FakeReader()))
                .hasMessage("cannot open stream rtsp://camera.local/stream (Connection refused)");
        assertThat(waits).isEmpty();
    }

    @Test
    void stoppingDuringTheBackoffEndsQuietly() throws Exception {
        FakeFactory factory = new FakeFactory().then(3, true).thenRefused(10);
        Reconnector reconnector = new Reconnector(CAMERA, POLICY, d -> {
            waits.add(d);
            if (waits.size() == 2) stopped = true;
        }, () -> stopped);
        assertThat(reconnector.run(factory, c -> true, new FakeReader())).isZero();
        assertThat(factory.calls).isEqualTo(2);
    }

    @Test
    void aPolicyWithoutAttemptsFailsAtTheFirstDrop() {
        FakeFactory factory = new FakeFactory().then(3, true);
        assertThatThrownBy(() -> reconnector(CAMERA, ReconnectPolicy.NEVER).run(factory, c -> true, new FakeReader()))
                .hasMessage("live source rtsp://camera.local/stream dropped (reading stream rtsp://camera.local/stream failed: I/O error)"
                        + " and reconnecting is disabled");
    }

    @Test
    void policiesRejectNonsense() {
        assertThat(ReconnectPolicy.DEFAULT.delayBefore(1)).isEqualTo(ms(500));
        assertThat(ReconnectPolicy.DEFAULT.delayBefore(7)).isEqualTo(Duration.ofSeconds(30));
        assertThat(ReconnectPolicy.DEFAULT.delayBefore(1000)).isEqualTo(Duration.ofSeconds(30));
        assertThatThrownBy(() -> new ReconnectPolicy(ms(500), ms(100), 2, 3)).hasMessageContaining("shorter than the initial delay");
        assertThatThrownBy(() -> new ReconnectPolicy(ms(500), ms(1000), 0.5, 3)).hasMessageContaining("multiplier");
        assertThatThrownBy(() -> new ReconnectPolicy(ms(500), ms(1000), 2, -1)).hasMessageContaining("attempts must be >= 0");
    }

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }
}
