package io.narrator.model.checkpoint;

import java.io.IOException;

/** A model file that cannot be used: names the file and the tensor or byte offset at fault. */
public final class CheckpointException extends IOException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
