package io.narrator.ingest;

/** Ingest could not read its source; the message names the source and the problem in words a user can act on. */
public class IngestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public IngestException(String message) {
        super(message);
    }

    public IngestException(String message, Throwable cause) {
        super(message, cause);
    }
}
