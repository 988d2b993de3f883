package io.narrator.ingest;

import java.time.Duration;
import java.util.Objects;

/**
 * Exponential backoff for live sources that drop: wait {@code initialDelay}, then multiply the wait by
 * {@code multiplier} after each failed attempt, never waiting longer than {@code maxDelay}; give up
 * after {@code maxAttempts} attempts in a row that did not deliver any video.
 *
 * @param initialDelay wait before the first reconnect attempt
 * @param maxDelay cap on the wait between attempts
 * @param multiplier growth of the wait from one attempt to the next, at least 1
 * @param maxAttempts reconnect attempts in a row before ingest fails; 0 never reconnects
 */
public record ReconnectPolicy(Duration initialDelay, Duration maxDelay, double multiplier, int maxAttempts) {

    /** 0.5 s doubling up to 30 s, 10 attempts: about 3 minutes of retrying before giving up. */
    public static final ReconnectPolicy DEFAULT = new ReconnectPolicy(Duration.ofMillis(500), Duration.ofSeconds(30), 2.0, 10);

    /** Never reconnects: a dropped live source fails at once. */
    public static final ReconnectPolicy NEVER = new ReconnectPolicy(Duration.ZERO, Duration.ZERO, 1.0, 0);

    public ReconnectPolicy {
        Objects.requireNonNull(initialDelay, "initialDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (initialDelay.isNegative()) throw new IllegalArgumentException("reconnect delay must be >= 0, got " + initialDelay);
        if (maxDelay.compareTo(initialDelay) < 0) {
            throw new IllegalArgumentException("maximum reconnect delay " + maxDelay + " is shorter than the initial delay " + initialDelay);
        }
        if (!(multiplier >= 1) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("reconnect backoff multiplier must be a finite number >= 1, got " + multiplier);
        }
        if (maxAttempts < 0) throw new IllegalArgumentException("reconnect attempts must be >= 0, got " + maxAttempts);
    }

    /** The wait before reconnect attempt {@code attempt} (1 for the first attempt after a drop). */
    public Duration delayBefore(int attempt) {
        if (attempt < 1) throw new IllegalArgumentException("attempts are numbered from 1, got " + attempt);
        double nanos = initialDelay.toNanos() * Math.pow(multiplier, attempt - 1);
        return nanos >= maxDelay.toNanos() ? maxDelay : Duration.ofNanos((long) nanos);
    }
}
