package io.narrator.model.checkpoint;

import java.io.IOException;

/** A model file that cannot be used: names the file and the tensor or byte offset at fault. */
public class CheckpointException extends IOException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The error for a name that a checkpoint does not hold. */
    static CheckpointException noSuchTensor(String source, String name) {
        return new CheckpointException(source + " has no tensor " + name);
    }
}
