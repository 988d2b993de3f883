package io.narrator.stream;

/** A record that cannot be processed, with the dead-letter reason; thrown by validation and decoding. */
public final class RejectedRecordException extends RuntimeException {
    private final DeadLetterReason reason;

    public RejectedRecordException(DeadLetterReason reason, String message) {
        this(reason, message, null);
    }

    public RejectedRecordException(DeadLetterReason reason, String message, Throwable cause) {
        super(message, cause);
        if (reason == null) throw new IllegalArgumentException("reason must not be null");
        this.reason = reason;
    }

    /** Why the record was rejected. */
    public DeadLetterReason reason() {
        return reason;
    }
}
