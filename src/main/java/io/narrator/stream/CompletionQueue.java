package io.narrator.stream;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Where the engine delivers finished narrations for one processor instance (one task). The stream
 * thread drains it; once closed (task closed or revoked) deliveries are refused and the caller drops them.
 */
public final class CompletionQueue {
    private final Queue<NarrationCompletion> queue = new ConcurrentLinkedQueue<>();
    private volatile boolean open = true;

    /** Adds a completion; returns false (and keeps nothing) when the queue is closed. */
    public boolean offer(NarrationCompletion completion) {
        if (!open) return false;
        queue.add(completion);
        return true;
    }

    /** The next completion, or null when there is none. */
    public NarrationCompletion poll() {
        return queue.poll();
    }

    /** True until {@link #close()}. */
    public boolean isOpen() {
        return open;
    }

    /** Refuses further deliveries and forgets undelivered ones (their clips are still pending in state). */
    public void close() {
        open = false;
        queue.clear();
    }
}
