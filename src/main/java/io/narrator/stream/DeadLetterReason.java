package io.narrator.stream;

/** Why a record went to the dead-letter topic; the name is the code written into {@code DeadLetter.reason}. */
public enum DeadLetterReason {
    /** The record has no key (or an empty one): its stream is unknown. */
    MISSING_KEY,
    /**
     * The key is not a usable stream id: not valid UTF-8 (the dead letter's key is then null and its message shows the
     * bytes), too long, or with control characters.
     */
    INVALID_KEY,
    /**
     * The record is on another partition than its key's under murmur2, the partitioner of the Java client and Kafka
     * Streams (e.g. from librdkafka's default CRC32 partitioner): its stream would be split over two tasks.
     */
    WRONG_PARTITION,
    /** The stream id inside the record differs from the record key. */
    KEY_MISMATCH,
    /**
     * The value is null, or bytes that are not one whole record of the expected type in Avro single-object encoding or
     * the Schema Registry wire format (another format or schema, truncated, a declared length or count beyond the record,
     * bytes after the record).
     */
    NOT_AVRO,
    /**
     * A value in the Schema Registry wire format (magic byte 0, schema id) whose writer schema cannot be had: no
     * {@code schema.registry.url} is configured, the registry does not know the id, or it could not be reached (the
     * message says which; the last can be replayed).
     */
    UNKNOWN_SCHEMA_ID,
    /** The value is larger than {@code max.record.bytes}. */
    RECORD_TOO_LARGE,
    /** An event time below zero. */
    NEGATIVE_TIMESTAMP,
    /** An event time beyond {@code max.timestamp.micros} (e.g. nanoseconds sent as microseconds). */
    ABSURD_TIMESTAMP,
    /**
     * An event time further than {@code timestamp.skew.ms} from its stream's clock, either way (a stray date, or
     * milliseconds sent as microseconds); see {@link StreamClocks} for when a stream's clock may move that far.
     */
    TIMESTAMP_SKEW,
    /** An image encoding or segment container Narrator does not know. */
    UNKNOWN_ENCODING,
    /** Width or height not positive, or not what the image header says. */
    INVALID_DIMENSIONS,
    /** More pixels than {@code max.pixels}, by the record's fields or the image header (checked before decoding). */
    TOO_MANY_PIXELS,
    /** RAW_RGB24 data whose length is not width * height * 3. */
    RAW_SIZE_MISMATCH,
    /** JPEG or PNG bytes that cannot be decoded whole (corrupt, truncated, or another format than declared). */
    UNDECODABLE_IMAGE,
    /** A segment that is truncated (mid-packet or mid-box), corrupt, or has no decodable video frame. */
    CORRUPT_SEGMENT,
    /** A segment whose declared duration is not positive or is longer than {@code max.segment.seconds}. */
    INVALID_DURATION,
    /**
     * A segment whose decoded presentation times disagree with its declared duration: a frame after its end (a
     * timestamp jump), or content ending far before the end it claims.
     */
    DURATION_MISMATCH,
    /** A prompt whose settings, overrides or example media are invalid; the previous prompt stays in force. */
    MALFORMED_PROMPT,
    /**
     * A prompt the model cannot use: more examples than {@code prompt.max.examples}, more bytes than {@code prompt.max.bytes},
     * or more tokens (with the tokens to generate) than the model's context; checked before any example media is decoded.
     * The previous prompt stays in force.
     */
    PROMPT_TOO_LONG,
    /**
     * An alert rule that cannot be used: an empty question or answer, the same answer for yes and no (or two the model
     * reads as the same tokens), a media marker in its texts, an invalid regular expression or one that matches an empty
     * caption, an empty keyword, fields of another kind, a negative cooldown, or a key that is not
     * {@code <scope>/<rule id>}. The previous version of the rule stays in force.
     */
    MALFORMED_ALERT_RULE,
    /** A question rule whose prompt and longest answer take more tokens than the model's context. The previous version stays in force. */
    ALERT_RULE_TOO_LONG
}
