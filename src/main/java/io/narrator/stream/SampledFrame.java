package io.narrator.stream;

/**
 * Passed inside the topology from the intake processors to the clip windows: a frame of
 * {@code streamId} with this event time was kept and its features stored.
 */
record SampledFrame(long timestampMicros) {}
