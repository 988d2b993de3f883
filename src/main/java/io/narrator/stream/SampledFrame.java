package io.narrator.stream;

/**
 * Passed inside the topology from the intake processors to the clip windows: a frame of
 * {@code streamId} with this event time was kept and its features stored. {@code clockJumpedBack} marks the first
 * frame after the stream's clock jumped back in time ({@link StreamClocks}): its windows restart from this frame.
 */
record SampledFrame(long timestampMicros, boolean clockJumpedBack) {}
