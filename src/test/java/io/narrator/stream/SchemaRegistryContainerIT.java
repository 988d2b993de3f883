package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.avro.Caption;
import io.narrator.avro.VideoFrame;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The Schema Registry client, the registry output format and registry-framed inputs against the real Confluent Schema
 * Registry ({@code confluentinc/cp-schema-registry}) on Apache Kafka, in containers; skipped where there is no Docker.
 * It also pins the answers {@link FakeSchemaRegistry} imitates (status codes and {@code error_code}s).
 */
@Testcontainers(disabledWithoutDocker = true)
class SchemaRegistryContainerIT {
    static final Network NETWORK = Network.newNetwork();

    @Container
    static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.1.1").withNetwork(NETWORK).withListener("kafka:19092");

    @Container
    static final GenericContainer<?> REGISTRY = new GenericContainer<>("confluentinc/cp-schema-registry:7.9.0")
            .withNetwork(NETWORK)
            .dependsOn(KAFKA)
            .withEnv("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
            .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081")
            .withEnv("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://kafka:19092")
            .withExposedPorts(8081)
            .waitingFor(Wait.forHttp("/subjects").forStatusCode(200).withStartupTimeout(Duration.ofMinutes(3)));

    private static String registryUrl() {
        return "http://" + REGISTRY.getHost() + ":" + REGISTRY.getMappedPort(8081);
    }

    private static SchemaRegistryClient client(Map<String, String> extra) {
        Map<String, String> p = new java.util.HashMap<>(extra);
        p.put("schema.registry.url", registryUrl());
        return new SchemaRegistryClient(NarratorConfig.of(p).schemaRegistry());
    }

    @Test
    void theClientRegistersLooksUpAndFetchesAndGetsTheRegistrysErrorCodes() {
        SchemaRegistryClient client = client(Map.of());
        int id = client.register("it.captions-value", Caption.getClassSchema());
        assertThat(client(Map.of()).register("it.captions-value", Caption.getClassSchema())).isEqualTo(id);
        assertThat(client(Map.of("schema.registry.auto.register", "false")).register("it.captions-value", Caption.getClassSchema())).isEqualTo(id);
        assertThat(client(Map.of()).schema(id)).isEqualTo(Caption.getClassSchema());

        assertThatThrownBy(() -> client(Map.of()).schema(987_654))
                .isInstanceOfSatisfying(SchemaRegistryClient.SchemaRegistryException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.errorCode()).isEqualTo(40403);
                });
        assertThatThrownBy(() -> client(Map.of("schema.registry.auto.register", "false")).register("it.nothing-value", Caption.getClassSchema()))
                .isInstanceOfSatisfying(SchemaRegistryClient.SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401))
                .hasMessageContaining("is not registered under subject it.nothing-value and schema.registry.auto.register=false");
        Schema other = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Caption\",\"namespace\":\"io.narrator.avro\",\"fields\":[{\"name\":\"streamId\",\"type\":\"int\"}]}");
        assertThatThrownBy(() -> client(Map.of()).register("it.captions-value", other))
                .isInstanceOfSatisfying(SchemaRegistryClient.SchemaRegistryException.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.errorCode()).isEqualTo(409);
                });
    }

    @Test
    void registryFramedFramesInRegistryFormatCaptionsOut() throws Exception {
        String name = EndToEnd.unique("registry-it");
        NarratorConfig config = KafkaTestSupport.config(KAFKA.getBootstrapServers(), name,
                Map.of("captions.format", "registry", "dead.letters.format", "registry", "schema.registry.url", registryUrl()));
        Topics topics = Topics.from(config);
        int frameId = client(Map.of()).register(topics.frames().name() + "-value", VideoFrame.getClassSchema());
        try (NarratorApp app = NarratorApp.create(config, new FakeNarration());
                KafkaProducer<String, byte[]> producer = KafkaTestSupport.producer(KAFKA.getBootstrapServers())) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(120))).isTrue();
            String[] colours = {"red", "green", "blue"};
            for (int i = 0; i < colours.length; i++)
                producer.send(new ProducerRecord<>(topics.frames().name(), "framed",
                        AvroSerdeTest.registryFramed(frameId, VideoFrame.getClassSchema(), TestMedia.frame("framed", i, i, colours[i]))));
            producer.flush();
            List<Caption> captions = KafkaTestSupport.readCaptions(KAFKA.getBootstrapServers(), topics, got -> got.size() >= 2);
            assertThat(captions).extracting(Caption::getText).containsExactly("frames=red", "frames=red,green");
            int captionId = client(Map.of("schema.registry.auto.register", "false")).register(topics.captions().name() + "-value", Caption.getClassSchema());
            for (byte[] value : KafkaTestSupport.readRaw(KAFKA.getBootstrapServers(), topics.captions().name(), got -> got.size() >= 2)) {
                assertThat(value[0]).isZero();
                assertThat(ByteBuffer.wrap(value, 1, 4).getInt()).isEqualTo(captionId);
            }
        }
    }
}
