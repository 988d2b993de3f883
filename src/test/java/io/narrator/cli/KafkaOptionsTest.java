package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.stream.NarratorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaOptionsTest {
    @Test
    void laterConfigFilesWinAndTheFlagWinsOverThem(@TempDir Path dir) throws Exception {
        Path narrator = Files.writeString(dir.resolve("narrator.properties"),
                "bootstrap.servers=kafka-1:9092\ntopic.prefix=shop.\nsecurity.protocol=PLAINTEXT\n");
        Path secret = Files.writeString(dir.resolve("client.properties"),
                "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n");
        KafkaOptions options = new KafkaOptions();
        options.configFiles = List.of(narrator, secret);
        NarratorConfig config = options.clientConfig();
        assertThat(config.bootstrapServers()).isEqualTo("kafka-1:9092");
        assertThat(config.topics().captions()).isEqualTo("shop.captions");
        assertThat(config.clientProperties()).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512");

        options.bootstrapServers = "kafka-2:9093";
        assertThat(options.clientConfig().bootstrapServers()).isEqualTo("kafka-2:9093");
    }

    @Test
    void withoutServersClientsUseTheDevelopmentBrokerAndRunStartsAnEmbeddedOne() {
        KafkaOptions options = new KafkaOptions();
        assertThat(options.clientConfig().bootstrapServers()).isEqualTo(KafkaOptions.DEFAULT_SERVERS);
        assertThat(options.config(null).bootstrapServers()).isEmpty();
    }

    @Test
    void aMissingFileOrABadValueIsNamed(@TempDir Path dir) throws Exception {
        KafkaOptions options = new KafkaOptions();
        options.configFiles = List.of(dir.resolve("nope.properties"));
        assertThatThrownBy(options::clientConfig).hasMessage("configuration file " + dir.resolve("nope.properties") + " does not exist");
        options.configFiles = List.of(Files.writeString(dir.resolve("bad.properties"), "hop.seconds=often\n"));
        assertThatThrownBy(options::clientConfig).hasMessage("hop.seconds must be a whole number, got 'often'");
        options.configFiles = List.of();
        options.connectTimeoutSeconds = 0;
        assertThatThrownBy(options::connectTimeout).hasMessageContaining("--connect-timeout must be a positive number of seconds");
    }

    @Test
    void aTypoOfANarratorKeyStopsTheCommandNamingTheFileAndTheKeyMeant(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("narrator.properties"), "bootstrap.servers=localhost:9092\ntopic.captons=cams.captions\n");
        Cli.Result r = Cli.run("tail", "--config", file.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.errLines()).containsExactly(
                "narrator: error: configuration file " + file + ": unknown configuration key 'topic.captons' — did you mean 'topic.captions'?");
    }

    @Test
    void environmentVariablesGiveDefaultsThatFilesOverride(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("narrator.properties"), "metrics.port=9999\n");
        Map<String, String> env = Map.of("NARRATOR_BOOTSTRAP_SERVERS", "kafka:19092", "NARRATOR_METRICS_PORT", "9464");
        assertThat(KafkaOptions.load(List.of(), env).metricsPort()).isEqualTo(9464);
        NarratorConfig config = KafkaOptions.load(List.of(file), env);
        assertThat(config.metricsPort()).isEqualTo(9999);
        assertThat(config.bootstrapServers()).isEqualTo("kafka:19092");
    }
}
