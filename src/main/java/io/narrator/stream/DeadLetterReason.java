package io.narrator.stream;

/** Why a record went to the dead-letter topic; the name is the code written into {@code DeadLetter.reason}. */
public enum DeadLetterReason {
    /** The record has no key (or an empty one): its stream is unknown. */
    MISSING_KEY,
    /** The key is not a usable stream id (too long, or control characters). */
    INVALID_KEY,
    /** The stream id inside the record differs from the record key. */
    KEY_MISMATCH,
    /** The value is null, or bytes that are not the expected Avro single-object record. */
    NOT_AVRO,
    /** The value is larger than {@code max.record.bytes}. */
    RECORD_TOO_LARGE,
    /** An event time below zero. */
    NEGATIVE_TIMESTAMP,
    /** An event time beyond {@code max.timestamp.micros} (e.g. nanoseconds sent as microseconds). */
    ABSURD_TIMESTAMP,
    /** An image encoding or segment container Narrator does not know. */
    UNKNOWN_ENCODING,
    /** Width or height not positive, or not what the image header says. */
    INVALID_DIMENSIONS,
    /** More pixels than {@code max.pixels}, by the record's fields or the image header (checked before decoding). */
    TOO_MANY_PIXELS,
    /** RAW_RGB24 data whose length is not width * height * 3. */
    RAW_SIZE_MISMATCH,
    /** JPEG or PNG bytes that cannot be decoded. */
    UNDECODABLE_IMAGE,
    /** A segment that is truncated, corrupt, or has no decodable video frame. */
    CORRUPT_SEGMENT,
    /** A segment with a duration that is not positive. */
    INVALID_DURATION,
    /** A prompt whose settings, overrides or example media are invalid; the previous prompt stays in force. */
    MALFORMED_PROMPT,
    /**
     * A prompt the model cannot use: more examples than {@code prompt.max.examples}, more bytes than {@code prompt.max.bytes},
     * or more tokens (with the tokens to generate) than the model's context; checked before any example media is decoded.
     * The previous prompt stays in force.
     */
    PROMPT_TOO_LONG
}
