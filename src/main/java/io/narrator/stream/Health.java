package io.narrator.stream;

/**
 * Whether a running narrator is alive (its narration engine works and Kafka Streams has not failed or stopped: if
 * not, restart it) and ready (alive, and Kafka Streams is running rather than starting or rebalancing), with the
 * reason when it is not. Served at {@code /health/live} and {@code /health/ready} by {@link MetricsServer}.
 */
public record Health(boolean live, boolean ready, String reason) {
    public Health {
        if (ready && !live) throw new IllegalArgumentException("a narrator that is not live cannot be ready");
        if (!ready && (reason == null || reason.isBlank())) throw new IllegalArgumentException("a narrator that is not ready needs a reason");
    }

    /** Alive and ready. */
    public static Health ok() {
        return new Health(true, true, null);
    }

    /** Alive but not ready yet, because of {@code reason}. */
    public static Health notReady(String reason) {
        return new Health(true, false, reason);
    }

    /** Not alive (and so not ready), because of {@code reason}. */
    public static Health dead(String reason) {
        return new Health(false, false, reason);
    }
}
