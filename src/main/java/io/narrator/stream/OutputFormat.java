package io.narrator.stream;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * How the records of an output topic (captions, dead letters) are written, so that any subscriber can read them:
 * <ul>
 *   <li>{@link #AVRO}: Avro single-object encoding ({@code C3 01}, the schema's 8-byte fingerprint, the binary record), as
 *       Narrator's inputs are; needs no registry.</li>
 *   <li>{@link #REGISTRY}: Avro in the Schema Registry wire format (magic byte {@code 0}, the 4-byte big-endian schema id,
 *       the binary record), the schema registered or looked up under the subject {@code <topic>-value} at
 *       {@code schema.registry.url}: what Kafka Connect's AvroConverter, ksqlDB's {@code AVRO} format and Confluent's
 *       deserializers read.</li>
 *   <li>{@link #JSON}: one JSON object per record with the schema's fields ({@link JsonRecords} says how each Avro type
 *       is rendered): what Kafka Connect's JsonConverter with {@code schemas.enable=false} and ksqlDB's
 *       {@code VALUE_FORMAT='JSON'} read.</li>
 * </ul>
 * Every output topic takes one with its own key ({@code captions.format}, {@code dead.letters.format}); {@link #serde}
 * makes the topic's serde.
 */
public enum OutputFormat {
    /** Avro single-object encoding. */
    AVRO,
    /** Avro in the Schema Registry wire format. */
    REGISTRY,
    /** One plain JSON object per record. */
    JSON;

    /** The format's name in configuration files: {@code avro}, {@code registry}, {@code json}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The format named {@code value} (any case), for configuration key {@code key}. */
    public static OutputFormat parse(String key, String value) {
        String v = value == null ? "" : value.trim();
        return Arrays.stream(values()).filter(f -> f.configName().equalsIgnoreCase(v)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(key + " must be one of " + names() + ", got '" + v + "'"));
    }

    /** The format names, for messages and docs: {@code avro, registry, json}. */
    public static String names() {
        return Arrays.stream(values()).map(OutputFormat::configName).collect(Collectors.joining(", "));
    }

    /**
     * The serde of records of {@code type} on output topic {@code topic} in this format: it writes this format and reads
     * any of the three (so a subscriber, or {@code narrator tail}, reads a topic whose format changed over time).
     *
     * @param registry the Schema Registry client; required for {@link #REGISTRY}, and used by every format to read
     *     registry-framed records (null: such records are refused with a message saying so)
     */
    public <T extends SpecificRecordBase> OutputSerde<T> serde(Class<T> type, String topic, SchemaRegistryClient registry) {
        return new OutputSerde<>(this, type, topic, registry);
    }
}
