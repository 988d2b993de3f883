package io.narrator.stream;

import io.narrator.avro.state.StreamClock;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The event-time clock of each stream ({@link NarratorStores#CLOCKS}), which keeps one record from moving a stream's
 * time out of reach: a frame dated 2099 in a live stream would otherwise open a window in 2099 and make every later
 * real frame "late" for good, and milliseconds sent as microseconds would be narrated as 1970.
 *
 * <p>A stream's clock is the event time of its last kept frame. A frame or segment is admitted against it
 * ({@link #admit}) by these rules, in order:
 * <ol>
 *   <li>The first record of a stream (no clock yet) is admitted; only the absolute limits apply to it.
 *   <li>A record within {@code timestamp.skew.ms} of the clock, either way, is admitted (if it is older than the last
 *       kept frame, sampling drops it as late, as before).
 *   <li>A record further away is admitted, and the clock jumps to it, when the stream has been silent (nothing kept)
 *       for longer than the skew in wall-clock time: a camera reconnecting after a long pause, its clock having run on
 *       (or been reset) meanwhile, is narrated from its first record.
 *   <li>Otherwise the record is a dead letter ({@link DeadLetterReason#TIMESTAMP_SKEW}), unless it is the
 *       {@code timestamp.skew.confirmations}-th of records in a row that were all too far from the clock and each
 *       within the skew of the one before: then it is admitted and the clock jumps to it. A source whose clock really
 *       jumped (a reset, or a wrong first record that anchored the clock) recovers after that many records, while a
 *       stray record, or any number of stray records between real ones, cannot move the clock.
 * </ol>
 * A jump back in time restarts the stream's sampling and clip windows from the new time ({@link Admission#JUMP_BACK});
 * the clip windows of a jump forward skip the empty time between, as for any gap.
 *
 * <p>The clock is written when a frame is kept (with sampling, at most {@code sample.fps} times a second) and when a
 * record is too far from it; wall-clock silence is measured from the last kept frame.
 */
final class StreamClocks {
    /** What admitting a record means for its stream's clock. */
    enum Admission {
        /** Within the skew of the clock, or the stream's first record. */
        IN_STEP,
        /** Far ahead of the clock, admitted by rule 3 or 4: the clock jumps forward when it is kept. */
        JUMP_FORWARD,
        /** Far behind the clock, admitted by rule 3 or 4: the stream restarts from it when it is kept. */
        JUMP_BACK
    }

    private final KeyValueStore<String, StreamClock> store;
    private final long skewMicros;
    private final long skewMillis;
    private final int confirmations;

    StreamClocks(KeyValueStore<String, StreamClock> store, NarratorConfig config) {
        this.store = store;
        this.skewMillis = config.timestampSkewMs();
        this.skewMicros = config.timestampSkewMs() * 1000;
        this.confirmations = config.timestampSkewConfirmations();
    }

    /**
     * Admits a record of {@code streamId} with event time {@code eventMicros}, processed at wall-clock {@code nowMillis}.
     *
     * @throws RejectedRecordException with {@link DeadLetterReason#TIMESTAMP_SKEW} when it is too far from the clock
     */
    Admission admit(String streamId, String field, long eventMicros, long nowMillis) {
        StreamClock clock = store.get(streamId);
        if (clock == null) return Admission.IN_STEP;
        long distance = eventMicros - clock.getEventMicros(); // both in [0, max.timestamp.micros]: no overflow
        if (Math.abs(distance) <= skewMicros) {
            if (clock.getCandidateMicros() != null) store.put(streamId, StreamClock.newBuilder(clock).setCandidateMicros(null).setCandidateCount(0).build());
            return Admission.IN_STEP;
        }
        Admission jump = distance > 0 ? Admission.JUMP_FORWARD : Admission.JUMP_BACK;
        if (nowMillis - clock.getSeenAtMillis() > skewMillis) return jump;
        Long candidate = clock.getCandidateMicros();
        int count = candidate != null && Math.abs(eventMicros - candidate) <= skewMicros ? clock.getCandidateCount() + 1 : 1;
        if (count >= confirmations) return jump;
        store.put(streamId, StreamClock.newBuilder(clock).setCandidateMicros(eventMicros).setCandidateCount(count).build());
        throw new RejectedRecordException(DeadLetterReason.TIMESTAMP_SKEW, String.format(java.util.Locale.ROOT,
                "%s %d µs is %.1f s %s the stream's clock (%d µs, its last kept frame), beyond timestamp.skew.ms=%d; %d of %d records in a row"
                        + " that agree would move the clock (milliseconds sent as microseconds, or a stray date?)",
                field, eventMicros, Math.abs(distance) / 1e6, distance > 0 ? "ahead of" : "behind", clock.getEventMicros(), skewMillis, count,
                confirmations));
    }

    /** Moves the clock of {@code streamId} to a kept frame's event time (forward, or back after {@link Admission#JUMP_BACK}). */
    void kept(String streamId, long eventMicros, long nowMillis, boolean jumpedBack) {
        StreamClock clock = store.get(streamId);
        if (clock != null && eventMicros < clock.getEventMicros() && !jumpedBack) return;
        store.put(streamId, new StreamClock(eventMicros, nowMillis, null, 0));
    }
}
