package io.narrator.web;

import java.util.List;
import java.util.function.Consumer;

/** Something a page can follow: the events that give its state now, then each change as it happens. */
interface EventSource {
    /**
     * Registers {@code listener} for every later change and returns the events that bring a new page up to now; no change
     * falls between the two, nor is in both.
     */
    List<PageEvent> subscribe(Consumer<PageEvent> listener);

    /** Stops sending changes to {@code listener}. */
    void unsubscribe(Consumer<PageEvent> listener);
}
