package io.narrator.stream;

import io.narrator.avro.state.PendingClip;
import io.narrator.avro.state.PendingPrompt;
import io.narrator.avro.state.StoredFrame;
import io.narrator.avro.state.StreamClock;
import io.narrator.avro.state.WindowProgress;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/** Names and builders of Narrator's state stores; all per-stream stores are persistent and changelogged. */
public final class NarratorStores {
    /** Event time of the last kept frame, per stream id. */
    public static final String SAMPLING = "narrator-sampling";
    /** Each stream's event-time clock, against which records' event times are checked ({@link StreamClocks}). */
    public static final String CLOCKS = "narrator-stream-clocks";
    /**
     * Kept frames by (stream id, event time), until no future window needs them: a frame's image as it arrived, or the
     * features of a segment's frame ({@code StoredFrame}; named apart from the earlier {@code narrator-features}, which
     * held features only).
     */
    public static final String FRAMES = "narrator-frames";
    /** Window progress per stream id. */
    public static final String PROGRESS = "narrator-progress";
    /**
     * Clips submitted for narration whose caption is not published yet, by (stream id, clip index), with their frames
     * (named apart from the earlier {@code narrator-pending}, whose frames were features only).
     */
    public static final String PENDING = "narrator-pending-clips";
    /** Records of the prompts topic waiting to be validated (and tombstones waiting behind them), by offset. */
    public static final String PENDING_PROMPTS = "narrator-pending-prompts";
    /** Validated prompts by prompt key (global: every instance has them all). */
    public static final String PROMPTS = "narrator-prompts";
    /** Validated alert rules by {@code <scope>/<rule id>} (global: every instance has them all). */
    public static final String ALERT_RULES = "narrator-alert-rules";
    /** The window end (event time, µs) of the last alert per stream and rule id, for cooldowns ({@link ClipAlerts}). */
    public static final String ALERT_COOLDOWNS = "narrator-alert-cooldowns";

    private NarratorStores() {}

    static StoreBuilder<KeyValueStore<String, Long>> sampling() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SAMPLING), Serdes.String(), Serdes.Long());
    }

    static StoreBuilder<KeyValueStore<String, StreamClock>> clocks() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CLOCKS), Serdes.String(), AvroSerde.of(StreamClock.class));
    }

    static StoreBuilder<KeyValueStore<Bytes, StoredFrame>> frames() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(FRAMES), Serdes.Bytes(), AvroSerde.of(StoredFrame.class));
    }

    static StoreBuilder<KeyValueStore<String, WindowProgress>> progress() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PROGRESS), Serdes.String(), AvroSerde.of(WindowProgress.class));
    }

    static StoreBuilder<KeyValueStore<Bytes, PendingClip>> pending() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PENDING), Serdes.Bytes(), AvroSerde.of(PendingClip.class));
    }

    static StoreBuilder<KeyValueStore<Long, PendingPrompt>> pendingPrompts() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PENDING_PROMPTS), Serdes.Long(), AvroSerde.of(PendingPrompt.class));
    }

    static StoreBuilder<KeyValueStore<String, byte[]>> prompts() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PROMPTS), Serdes.String(), Serdes.ByteArray()).withLoggingDisabled();
    }

    static StoreBuilder<KeyValueStore<String, byte[]>> alertRules() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ALERT_RULES), Serdes.String(), Serdes.ByteArray()).withLoggingDisabled();
    }

    static StoreBuilder<KeyValueStore<String, Long>> alertCooldowns() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ALERT_COOLDOWNS), Serdes.String(), Serdes.Long());
    }
}
