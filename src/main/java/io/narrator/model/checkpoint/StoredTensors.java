package io.narrator.model.checkpoint;

/** A checkpoint of this package whose tensors are bytes in files, handed out for streaming copies. */
interface StoredTensors {
    /** The bytes of a tensor; an unknown name is an error naming the checkpoint. */
    StoredTensor stored(String name) throws CheckpointException;

    /** Whether {@link #stored} works for every tensor (a view is only as capable as what it views). */
    default boolean storesAll() {
        return true;
    }

    /** {@code checkpoint} as stored tensors, or null when its tensors are only available as values. */
    static StoredTensors of(Checkpoint checkpoint) {
        return checkpoint instanceof StoredTensors s && s.storesAll() ? s : null;
    }
}
