package io.narrator.stream;

import org.apache.kafka.common.serialization.Serde;

/** A topic's name bound to the serdes of its keys and values. */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {
    public Topic {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("topic name must not be blank");
        if (!name.matches("[a-zA-Z0-9._-]{1,249}"))
            throw new IllegalArgumentException("topic name '" + name + "' is not a legal Kafka topic name (letters, digits, '.', '_', '-', at most 249)");
        if (keySerde == null || valueSerde == null) throw new IllegalArgumentException("topic " + name + " needs key and value serdes");
    }
}
