package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.model.ModelDevice;
import io.narrator.model.ModelDtype;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NarratorConfigTest {

    @Test
    void defaultsMatchTheDocumentedKeys() {
        NarratorConfig c = NarratorConfig.defaults();
        assertThat(c.windowSeconds()).isEqualTo(8);
        assertThat(c.hopSeconds()).isEqualTo(4);
        assertThat(c.sampleFps()).isEqualTo(1.0);
        assertThat(c.topics()).isEqualTo(new Topics.Names("narrator.frames", "narrator.segments", "narrator.prompts",
                "narrator.prompt-table", "narrator.captions", "narrator.dead-letters", "narrator.alert-rules", "narrator.alert-rule-table",
                "narrator.alerts"));
        assertThat(c.alerts()).isEqualTo(new AlertSettings(60, "Question: {question} Answer:"));
        assertThat(c.generation()).isEqualTo(GenerationSettings.DEFAULT);
        assertThat(c.streamsProperties()).containsEntry("processing.guarantee", "exactly_once_v2").containsEntry("application.id", "narrator");
        assertThat(c.clipTimeoutMs()).isEqualTo(c.maxLagMs() + 60_000);
        assertThat(c.promptMaxExamples()).isEqualTo(32);
        assertThat(c.promptMaxBytes()).isEqualTo(4 << 20);
        // a shorter session than Kafka's 45 s, and dynamic membership unless an instance is given its own id
        assertThat(c.streamsProperties()).containsEntry("session.timeout.ms", "10000").doesNotContainKey("group.instance.id");
        assertThat(c.clientProperties()).doesNotContainKeys("session.timeout.ms", "group.instance.id");
        assertThat(c.with("group.instance.id", "narrator-7f9c-abcde").streamsProperties()).containsEntry("group.instance.id", "narrator-7f9c-abcde");
        assertThat(c.with("consumer.session.timeout.ms", "6000").streamsProperties()).containsEntry("consumer.session.timeout.ms", "6000");
        assertThat(c.with("max.lag.ms", "5000").clipTimeoutMs()).isEqualTo(65_000);
        assertThat(c.with("clip.timeout.ms", "300000").clipTimeoutMs()).isEqualTo(300_000);
        // the web page is off unless asked for, and opens on the last hour; neither key reaches Kafka
        assertThat(c.webPort()).isEqualTo(-1);
        assertThat(c.webHistoryMs()).isEqualTo(3_600_000);
        assertThat(c.with("web.port", "8080").streamsProperties()).doesNotContainKeys("web.port", "web.history.ms");
        assertThat(c.with("web.port", "8080").clientProperties()).doesNotContainKeys("web.port", "web.history.ms");
    }

    @Test
    void readsAPropertiesFileAndPassesKafkaSettingsThroughUntouched(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("narrator.properties");
        Files.writeString(file, String.join("\n",
                "bootstrap.servers=broker:9093",
                "security.protocol=SASL_SSL",
                "sasl.mechanism=PLAIN",
                "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\";",
                "ssl.truststore.location=/etc/kafka/truststore.jks",
                "topic.prefix=cams.",
                "hop.seconds=2",
                "suppress.repeats=true",
                "num.stream.threads=4"));
        NarratorConfig c = NarratorConfig.load(file);
        assertThat(c.hopSeconds()).isEqualTo(2);
        assertThat(c.suppressRepeats()).isTrue();
        assertThat(c.topics().captions()).isEqualTo("cams.captions");
        Properties streams = c.streamsProperties();
        assertThat(streams).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry("ssl.truststore.location", "/etc/kafka/truststore.jks").containsEntry("num.stream.threads", "4")
                .containsEntry("bootstrap.servers", "broker:9093")
                .containsKey("sasl.jaas.config")
                .doesNotContainKeys("hop.seconds", "suppress.repeats", "topic.prefix");
        Properties clients = c.clientProperties();
        assertThat(clients).containsEntry("security.protocol", "SASL_SSL").containsEntry("bootstrap.servers", "broker:9093")
                .containsKey("sasl.jaas.config").doesNotContainKeys("application.id", "num.stream.threads", "hop.seconds");
    }

    @Test
    void givenValuesWinOverDefaultsIncludingStreamsDefaults() {
        NarratorConfig c = NarratorConfig.of(Map.of("processing.guarantee", "at_least_once", "application.id", "cams"));
        assertThat(c.streamsProperties()).containsEntry("processing.guarantee", "at_least_once").containsEntry("application.id", "cams");
        assertThat(c.with("window.seconds", "12").windowSeconds()).isEqualTo(12);
        assertThat(c.windowPhase()).isEqualTo(WindowPhase.SPREAD);
        assertThat(c.with("window.phase", "ALIGNED").windowPhase()).isEqualTo(WindowPhase.ALIGNED);
    }

    @Test
    void rocksDbsOwnStatisticsDumpIsOffUnlessAnotherSetterIsNamed() {
        assertThat(NarratorConfig.defaults().streamsProperties())
                .containsEntry("rocksdb.config.setter", RocksDbSettings.class.getName());
        assertThat(NarratorConfig.of(Map.of("rocksdb.config.setter", "com.example.Mine")).streamsProperties())
                .containsEntry("rocksdb.config.setter", "com.example.Mine");
        org.rocksdb.RocksDB.loadLibrary();
        try (org.rocksdb.Options options = new org.rocksdb.Options()) {
            assertThat(options.statsDumpPeriodSec()).isPositive(); // RocksDB's default: every 600 s
            new RocksDbSettings().setConfig("frames", options, Map.of());
            assertThat(options.statsDumpPeriodSec()).isZero();
            assertThat(options.statsPersistPeriodSec()).isZero();
        }
    }

    @Test
    void rejectsBadValuesNamingTheKey() {
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("hop.seconds", "abc"))).hasMessage("hop.seconds must be a whole number, got 'abc'");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("hop.seconds", "10")))
                .hasMessageContaining("hop.seconds=10 is longer than window.seconds=8");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("window.phase", "staggered"))).hasMessage("window.phase must be aligned or spread, got 'staggered'");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("sample.fps", "0"))).hasMessageContaining("sample.fps must be in (0, 1000]");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("suppress.repeats", "yes"))).hasMessage("suppress.repeats must be true or false, got 'yes'");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("generation.beams", "0"))).hasMessageContaining("generation.* settings: beams must be in [1, 16]");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("topic.frames", "x", "topic.segments", "x"))).hasMessageContaining("must be distinct");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("metrics.port", "-5"))).hasMessageContaining("metrics.port must be -1 (off)");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("web.port", "70000"))).hasMessage("web.port must be -1 (off), 0 (any free port) or a port, got 70000");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("web.port", "9100", "metrics.port", "9100")))
                .hasMessage("web.port and metrics.port are both 9100: give the web page a port of its own");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("web.history.ms", "0"))).hasMessage("web.history.ms must be positive, got 0");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("max.segment.seconds", "0"))).hasMessage("max.segment.seconds must be positive, got 0");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("alert.cooldown.seconds", "-1")))
                .hasMessage("alert.* settings: alert.cooldown.seconds must be >= 0 (0 = an alert for every matching clip), got -1");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("alert.question.prompt", " "))).hasMessageContaining("alert.question.prompt must not be empty");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("topic.alerts", "narrator.captions"))).hasMessageContaining("must be distinct");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("timestamp.skew.ms", "-1"))).hasMessage("timestamp.skew.ms must be positive, got -1");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("timestamp.skew.confirmations", "1")))
                .hasMessage("timestamp.skew.confirmations must be >= 2 (one record must not move a stream's clock), got 1");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("group.instance.id", "pod 1")))
                .hasMessage("group.instance.id must be at most 240 letters, digits, '.', '_' or '-', got 'pod 1'");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("prompt.max.examples", "0"))).hasMessage("prompt.max.examples must be positive, got 0");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("prompt.max.bytes", "-1"))).hasMessage("prompt.max.bytes must be positive, got -1");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("clip.timeout.ms", "60000")))
                .hasMessage("clip.timeout.ms=60000 must exceed max.lag.ms=60000: a clip may wait that long in the queue before it is narrated");
        assertThatThrownBy(() -> NarratorConfig.load(Path.of("/nonexistent/narrator.properties")))
                .hasMessageContaining("cannot read configuration file /nonexistent/narrator.properties");
    }

    @Test
    void theModelsDeviceAndDtypeDefaultToAutoAndF32AndStayOutOfKafkasProperties() {
        NarratorConfig d = NarratorConfig.defaults();
        assertThat(d.modelDevice()).isEqualTo(ModelDevice.AUTO);
        assertThat(d.modelDtype()).isEqualTo(ModelDtype.F32);
        NarratorConfig c = NarratorConfig.of(Map.of("model.device", "gpu:1", "model.dtype", "F16"));
        assertThat(c.modelDevice()).isEqualTo(ModelDevice.gpu(1));
        assertThat(c.modelDtype()).isEqualTo(ModelDtype.F16);
        assertThat(c.with("model.device", "cpu").modelDevice()).isEqualTo(ModelDevice.CPU);
        assertThat(c.streamsProperties()).doesNotContainKeys("model.device", "model.dtype");
        assertThat(c.clientProperties()).doesNotContainKeys("model.device", "model.dtype");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("model.device", "tpu")))
                .hasMessage("model.device: device must be cpu, gpu, gpu:N or auto, got 'tpu'");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("model.dtype", "f64"))).hasMessage("model.dtype: model dtype must be f32 or f16, got \"f64\"");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("model.dtype", "bf16"))).hasMessageStartingWith("model.dtype: bf16 is not available");
    }

    @Test
    void theConfigurationReferenceListsEveryKeyWithItsDefault() {
        String table = ConfigKey.markdownTable();
        for (ConfigKey key : ConfigKey.values())
            assertThat(table).contains("| `" + key.key() + "` | " + (key.defaultValue().isEmpty() ? "*(empty)*" : "`" + key.defaultValue() + "`") + " |");
    }

    @Test
    void environmentVariablesGiveNarratorKeysAndRefuseTypos() {
        assertThat(ConfigKey.METRICS_PORT.envName()).isEqualTo("NARRATOR_METRICS_PORT");
        assertThat(ConfigKey.TOPIC_PROMPT_TABLE.envName()).isEqualTo("NARRATOR_TOPIC_PROMPT_TABLE");
        assertThat(NarratorConfig.fromEnvironment(Map.of(
                "NARRATOR_BOOTSTRAP_SERVERS", "kafka:9092", "NARRATOR_METRICS_PORT", "9464", "NARRATOR_JAR", "/opt/narrator/narrator.jar",
                "HOME", "/var/lib/narrator", "BOOTSTRAP_SERVERS", "elsewhere:1")))
                .isEqualTo(Map.of("bootstrap.servers", "kafka:9092", "metrics.port", "9464"));
        assertThatThrownBy(() -> NarratorConfig.fromEnvironment(Map.of("NARRATOR_METRIC_PORT", "9464")))
                .hasMessage("unknown environment variable NARRATOR_METRIC_PORT — did you mean NARRATOR_METRICS_PORT?");
    }
}
