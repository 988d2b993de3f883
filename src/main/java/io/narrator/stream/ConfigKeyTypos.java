package io.narrator.stream;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Finds configuration keys that are misspelt Narrator keys. A key that is neither one of Narrator's ({@link ConfigKey})
 * nor one Kafka knows (a Kafka Streams, producer, consumer or admin setting, with or without Kafka Streams' client
 * prefixes, or a topic setting after {@code topic.}) passes through to Kafka's clients, which hand it to their plugins
 * (serializers, interceptors, config providers); but when it is within a few edits of a Narrator key (or is one with its
 * dot-separated words in another order, or with a {@code narrator.} prefix) it is a typo, and is refused with the
 * nearest key. Any other key with a {@code narrator.} prefix is refused too: none of Narrator's keys has one.
 */
public final class ConfigKeyTypos {
    private static final String NARRATOR_PREFIX = "narrator.";
    /** Kafka Streams' prefixes for the settings of its clients, and Kafka's config providers. */
    private static final List<String> CLIENT_PREFIXES = List.of(
            "main.consumer.", "restore.consumer.", "global.consumer.", "consumer.", "producer.", "admin.", "config.providers.");
    private static final Set<String> KAFKA_KEYS = kafkaKeys();
    private static final Set<String> TOPIC_KEYS = topicKeys();

    private ConfigKeyTypos() {}

    /**
     * Checks every key.
     *
     * @throws IllegalArgumentException for the first key (in alphabetical order) that is a typo of a Narrator key, naming
     *     both ({@code unknown configuration key 'topic.captons' — did you mean 'topic.captions'?}), or that has a
     *     {@code narrator.} prefix
     */
    public static void check(Collection<String> keys) {
        for (String key : keys.stream().sorted().toList()) {
            Optional<ConfigKey> meant = typoOf(key);
            if (meant.isPresent())
                throw new IllegalArgumentException("unknown configuration key '" + key + "' — did you mean '" + meant.get().key() + "'?");
            if (key.toLowerCase(Locale.ROOT).startsWith(NARRATOR_PREFIX))
                throw new IllegalArgumentException("unknown configuration key '" + key + "': Narrator's keys have no '" + NARRATOR_PREFIX
                        + "' prefix (docs/configuration.md lists them)");
        }
    }

    /** The Narrator key that {@code key} is a typo of, if it is one (empty for Narrator's and Kafka's own keys). */
    public static Optional<ConfigKey> typoOf(String key) {
        if (ConfigKey.byName(key).isPresent() || isKafkaKey(key)) return Optional.empty();
        String bare = key.toLowerCase(Locale.ROOT);
        if (bare.startsWith(NARRATOR_PREFIX)) bare = bare.substring(NARRATOR_PREFIX.length());
        int allowed = Math.max(1, Math.min(3, bare.length() / 5));
        ConfigKey nearest = null;
        int best = Integer.MAX_VALUE;
        for (ConfigKey candidate : ConfigKey.values()) {
            int d = Math.min(distance(bare, candidate.key()), distance(sortedWords(bare), sortedWords(candidate.key())));
            if (d < best) {
                best = d;
                nearest = candidate;
            }
        }
        return best <= allowed ? Optional.ofNullable(nearest) : Optional.empty();
    }

    /** Whether Kafka Streams or a Kafka client reads {@code key}. */
    static boolean isKafkaKey(String key) {
        if (KAFKA_KEYS.contains(key)) return true;
        for (String prefix : CLIENT_PREFIXES)
            if (key.startsWith(prefix)) return prefix.equals("config.providers.") || KAFKA_KEYS.contains(key.substring(prefix.length()));
        return key.startsWith("topic.") && TOPIC_KEYS.contains(key.substring("topic.".length()));
    }

    private static Set<String> kafkaKeys() {
        Set<String> keys = new HashSet<>(StreamsConfig.configDef().names());
        keys.addAll(ProducerConfig.configNames());
        keys.addAll(ConsumerConfig.configNames());
        keys.addAll(AdminClientConfig.configNames());
        keys.add("config.providers");
        return Set.copyOf(keys);
    }

    /** Kafka's topic settings: the values of {@link TopicConfig}'s {@code *_CONFIG} constants. */
    private static Set<String> topicKeys() {
        Set<String> keys = new HashSet<>();
        for (Field field : TopicConfig.class.getFields()) {
            if (!Modifier.isStatic(field.getModifiers()) || field.getType() != String.class || !field.getName().endsWith("_CONFIG")) continue;
            try {
                keys.add((String) field.get(null));
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot read " + field, e);
            }
        }
        return Set.copyOf(keys);
    }

    /** The key's dot-separated words in alphabetical order, so that a key with its words swapped is near the original. */
    private static String sortedWords(String key) {
        return String.join(".", Arrays.stream(key.split("\\.")).sorted().toList());
    }

    /** Levenshtein distance: single-character insertions, deletions and substitutions. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) previous[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
