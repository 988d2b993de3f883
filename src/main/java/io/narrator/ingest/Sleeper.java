package io.narrator.ingest;

import java.time.Duration;

/** Waits: {@code Thread.sleep} in production, a recorder in tests of pacing and backoff. */
@FunctionalInterface
public interface Sleeper {

    /** Sleeps with {@link Thread#sleep}. */
    Sleeper SYSTEM = duration -> Thread.sleep(duration.toMillis(), duration.toNanosPart() % 1_000_000);

    /** Waits for {@code duration}, or less if the ingest is being stopped. */
    void sleep(Duration duration) throws InterruptedException;
}
