package io.narrator.ingest;

/**
 * What one ingest delivered.
 *
 * @param frames frames delivered (frames mode)
 * @param segments segments delivered (segments mode)
 * @param mediaSeconds media time covered, from the source's first frame
 * @param reconnects successful reconnects of a live source
 * @param reencoded whether segments had to be re-encoded to H.264 instead of copied
 * @param elapsedSeconds wall time the ingest took
 */
public record IngestResult(long frames, long segments, double mediaSeconds, int reconnects, boolean reencoded, double elapsedSeconds) {

    public IngestResult {
        if (frames < 0 || segments < 0 || reconnects < 0) throw new IllegalArgumentException("counts must be >= 0");
        if (!(mediaSeconds >= 0) || !(elapsedSeconds >= 0)) throw new IllegalArgumentException("times must be >= 0");
    }
}
