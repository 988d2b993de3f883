package io.narrator.ingest;

/** Reading a source that had opened failed mid-way: the trigger for a reconnect of a live source. */
final class SourceDroppedException extends IngestException {
    private static final long serialVersionUID = 1L;

    SourceDroppedException(String message, Throwable cause) {
        super(message, cause);
    }
}
