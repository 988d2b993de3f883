package io.narrator.ingest;

import java.time.Duration;

/** Waits: for the reconnect backoff and {@code --realtime}; a job's own sleeper wakes up when the job is stopped. */
@FunctionalInterface
public interface Sleeper {

    /** Waits for {@code duration}, or less if the ingest is being stopped. */
    void sleep(Duration duration) throws InterruptedException;
}
