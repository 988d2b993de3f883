package io.narrator.stream;

import io.narrator.avro.state.PendingClip;
import io.narrator.avro.state.StoredFrame;
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
    /** Features of kept frames by (stream id, event time), until no future window needs them. */
    public static final String FEATURES = "narrator-features";
    /** Input records of kept frames waiting for a vision batch, by (stream id, event time): what a restart must still encode. */
    public static final String UNENCODED = "narrator-unencoded";
    /** Window progress per stream id. */
    public static final String PROGRESS = "narrator-progress";
    /** Clips submitted for narration whose caption is not published yet, by (stream id, clip index). */
    public static final String PENDING = "narrator-pending";
    /** Validated prompts by prompt key (global: every instance has them all). */
    public static final String PROMPTS = "narrator-prompts";

    private NarratorStores() {}

    static StoreBuilder<KeyValueStore<String, Long>> sampling() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SAMPLING), Serdes.String(), Serdes.Long());
    }

    static StoreBuilder<KeyValueStore<Bytes, StoredFrame>> features() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(FEATURES), Serdes.Bytes(), AvroSerde.of(StoredFrame.class));
    }

    static StoreBuilder<KeyValueStore<Bytes, byte[]>> unencoded() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(UNENCODED), Serdes.Bytes(), Serdes.ByteArray());
    }

    static StoreBuilder<KeyValueStore<String, WindowProgress>> progress() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PROGRESS), Serdes.String(), AvroSerde.of(WindowProgress.class));
    }

    static StoreBuilder<KeyValueStore<Bytes, PendingClip>> pending() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PENDING), Serdes.Bytes(), AvroSerde.of(PendingClip.class));
    }

    static StoreBuilder<KeyValueStore<String, byte[]>> prompts() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PROMPTS), Serdes.String(), Serdes.ByteArray()).withLoggingDisabled();
    }
}
