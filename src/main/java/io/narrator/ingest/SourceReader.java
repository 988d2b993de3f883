package io.narrator.ingest;

/**
 * Reads one opened connection of a source until it ends; what {@link Reconnector} runs again after a
 * live source drops.
 *
 * @param <C> the connection type (an opened grabber)
 */
interface SourceReader<C> {

    /**
     * Reads {@code connection} to its end or until the ingest stops.
     *
     * @throws SourceDroppedException when the source fails mid-way; other exceptions end the ingest
     */
    void read(C connection) throws Exception;

    /** Frames or packets read over all connections so far: tells a productive connection from one that dropped at once. */
    long unitsRead();

    /** Called after a reconnect, before the new connection is read. */
    void reconnected();
}
