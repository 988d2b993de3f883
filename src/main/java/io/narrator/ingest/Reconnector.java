package io.narrator.ingest;

import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link SourceReader} over connections to one source, reconnecting a live source with
 * exponential backoff ({@link ReconnectPolicy}) when it drops or ends. The first connection must
 * open (a typo fails at once); files and sources with a known length are read once and never
 * reconnected. The backoff starts afresh whenever a connection delivered video.
 */
final class Reconnector {
    private static final Logger log = LoggerFactory.getLogger(Reconnector.class);

    /** Opens a connection; throws {@link IngestException} with a clear message when it cannot. */
    @FunctionalInterface
    interface Opener<C> {
        C open();
    }

    private final VideoSource source;
    private final ReconnectPolicy policy;
    private final Sleeper sleeper;
    private final BooleanSupplier stopped;

    Reconnector(VideoSource source, ReconnectPolicy policy, Sleeper sleeper, BooleanSupplier stopped) {
        this.source = Objects.requireNonNull(source, "source");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        this.stopped = Objects.requireNonNull(stopped, "stopped");
    }

    /**
     * Reads the source to its end (or, for a live source, until stopped or given up).
     *
     * @param opener opens a connection
     * @param live whether an opened connection is live (may reconnect); only asked for sources that {@link VideoSource#mayBeLive() may be}
     * @param reader reads each connection
     * @return the number of successful reconnects
     * @throws IngestException when the first connection cannot open, a non-live source fails, or reconnecting gives up
     */
    <C extends AutoCloseable> int run(Opener<C> opener, Predicate<C> live, SourceReader<C> reader) throws Exception {
        C connection = opener.open();
        boolean isLive;
        try {
            isLive = source.mayBeLive() && live.test(connection);
        } catch (RuntimeException e) {
            closeQuietly(connection);
            throw e;
        }
        int reconnects = 0;
        int attempt = 0;
        while (true) {
            long before = reader.unitsRead();
            SourceDroppedException drop = null;
            try {
                reader.read(connection);
            } catch (SourceDroppedException e) {
                drop = e;
            } finally {
                closeQuietly(connection);
            }
            if (stopped.getAsBoolean()) return reconnects;
            if (!isLive) {
                if (drop != null) throw new IngestException(drop.getMessage(), drop.getCause());
                return reconnects;
            }
            if (reader.unitsRead() > before) attempt = 0;
            String lastError = drop != null ? drop.getMessage() : "the stream ended";
            if (policy.maxAttempts() == 0) {
                throw new IngestException("live source " + source + " dropped (" + lastError + ") and reconnecting is disabled", drop);
            }
            log.warn("{} dropped ({}); reconnecting", source, lastError);
            connection = null;
            while (connection == null) {
                attempt++;
                if (attempt > policy.maxAttempts()) {
                    throw new IngestException("gave up on " + source + " after " + policy.maxAttempts() + " reconnect attempts; last error: "
                            + lastError);
                }
                try {
                    sleeper.sleep(policy.delayBefore(attempt));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return reconnects;
                }
                if (stopped.getAsBoolean()) return reconnects;
                try {
                    connection = opener.open();
                } catch (IngestException e) {
                    lastError = e.getMessage();
                    log.warn("reconnect attempt {} of {} to {} failed: {}", attempt, policy.maxAttempts(), source, lastError);
                }
            }
            reconnects++;
            log.info("reconnected to {} (attempt {})", source, attempt);
            reader.reconnected();
        }
    }

    private static void closeQuietly(AutoCloseable connection) {
        try {
            connection.close();
        } catch (Exception e) {
            log.debug("closing a connection failed", e);
        }
    }
}
