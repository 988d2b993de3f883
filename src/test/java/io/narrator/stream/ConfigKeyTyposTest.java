package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigKeyTyposTest {

    @Test
    void aMisspeltNarratorKeyIsRefusedWithTheNearestKey() {
        Map<String, String> typos = Map.of(
                "topic.captons", "topic.captions",
                "captions.topic", "topic.captions", // its words in the other order
                "metric.port", "metrics.port",
                "window.second", "window.seconds",
                "topic.partitons", "topic.partitions", // under Kafka Streams' topic. prefix, but no topic setting
                "generation.beam", "generation.beams",
                "narrator.hop.seconds", "hop.seconds",
                "Sample.FPS", "sample.fps");
        typos.forEach((typo, meant) -> assertThatThrownBy(() -> NarratorConfig.of(Map.of(typo, "1")))
                .as(typo).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown configuration key '" + typo + "' — did you mean '" + meant + "'?"));
    }

    @Test
    void kafkaKeysAndOtherKeysPassThrough() {
        List<String> passed = List.of(
                "security.protocol", "sasl.mechanism", "sasl.jaas.config", "ssl.truststore.location", "num.stream.threads",
                "commit.interval.ms", "state.dir", "statestore.cache.max.bytes", "batch.size", "linger.ms", "max.poll.records",
                "consumer.session.timeout.ms", "main.consumer.max.poll.records", "restore.consumer.fetch.max.bytes",
                "producer.max.request.size", "admin.retries", "topic.max.message.bytes", "topic.retention.ms", "topic.segment.bytes",
                "config.providers", "config.providers.file.class",
                // a plugin's settings (serializers, interceptors) are none of Kafka's but far from Narrator's
                "specific.avro.reader", "basic.auth.credentials.source", "my.interceptor.endpoint");
        for (String key : passed) {
            assertThat(ConfigKeyTypos.typoOf(key)).as(key).isEmpty();
            assertThatCode(() -> NarratorConfig.of(Map.of(key, "x"))).as(key).doesNotThrowAnyException();
        }
        for (ConfigKey key : ConfigKey.values()) assertThat(ConfigKeyTypos.typoOf(key.key())).as(key.key()).isEmpty();
    }

    @Test
    void aKeyWithTheNarratorPrefixIsRefusedEvenFarFromAnyKey() {
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("narrator.colour", "red")))
                .hasMessage("unknown configuration key 'narrator.colour': Narrator's keys have no 'narrator.' prefix (docs/configuration.md lists them)");
    }

    @Test
    void aTypoInAFileNamesTheFile(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("narrator.properties"), "bootstrap.servers=kafka:9092\nhop.secnds=2\n");
        assertThatThrownBy(() -> NarratorConfig.load(file))
                .hasMessage("configuration file " + file + ": unknown configuration key 'hop.secnds' — did you mean 'hop.seconds'?");
    }

    @Test
    void levenshteinDistance() {
        assertThat(ConfigKeyTypos.distance("", "abc")).isEqualTo(3);
        assertThat(ConfigKeyTypos.distance("kitten", "sitting")).isEqualTo(3);
        assertThat(ConfigKeyTypos.distance("metrics.port", "metrics.port")).isZero();
        assertThat(ConfigKeyTypos.distance("hop.secnds", "hop.seconds")).isEqualTo(1);
    }
}
