package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.avro.Caption;
import io.narrator.avro.CaptionLatency;
import io.narrator.stream.AvroSerde;
import io.narrator.stream.EmbeddedKafkaBroker;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code narrator web} against a cluster: the page, its data and its own health, until Ctrl-C; and what it refuses. */
class WebCommandIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir static Path dir;
    static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void start() {
        broker = EmbeddedKafkaBroker.start();
    }

    @AfterAll
    static void stop() {
        if (broker != null) broker.close();
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void theWebCommandServesThePageOfAClusterUntilStopped() throws Exception {
        Path config = dir.resolve("web.properties");
        Files.writeString(config, "topic.prefix=webcmd.\ntopic.partitions=2\n");
        int port = freePort();
        Cli.Running web = new Cli.Running("web", "--bootstrap-servers", broker.bootstrapServers(), "--config", config.toString(),
                "--web-port", String.valueOf(port));
        web.awaitOutput("web page at http://localhost:" + port + "/ (health at /health/live and /health/ready), following " + broker.bootstrapServers());
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (get(port, "/health/ready").statusCode() != 200) {
            assertThat(System.nanoTime()).as("ready within 60 s").isLessThan(deadline);
            Thread.sleep(100);
        }
        assertThat(get(port, "/health/live").body()).isEqualTo("live\n");
        assertThat(get(port, "/").body()).contains("<title>Narrator — live</title>");

        long end = System.currentTimeMillis() * 1000;
        Caption caption = Caption.newBuilder().setStreamId("gate").setClipIndex(0).setWindowStartMicros(end - 8_000_000).setWindowEndMicros(end)
                .setFrameTimestamps(List.of(end - 1_000_000)).setFrameSequences(List.of(1L)).setText("a blue square").setLogProb(-1.0)
                .setPromptVersion(null).setModelName("narrator-tiny").setModelVersion("1.9.0").setLatency(new CaptionLatency(1L, 2L, 3L, 4L, 10L))
                .setError(null).setCreatedAtMillis(System.currentTimeMillis()).build();
        Properties p = new Properties();
        p.put("bootstrap.servers", broker.bootstrapServers());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("webcmd.captions", "gate", AvroSerde.of(Caption.class).encode(caption))).get();
        }
        JsonNode snapshot = JSON.readTree(get(port, "/api/snapshot").body());
        while (snapshot.get("streams").isEmpty()) {
            assertThat(System.nanoTime()).as("the caption shown within 60 s").isLessThan(deadline);
            Thread.sleep(100);
            snapshot = JSON.readTree(get(port, "/api/snapshot").body());
        }
        assertThat(snapshot.at("/streams/0/id").asText()).isEqualTo("gate");
        assertThat(snapshot.at("/streams/0/captions/0/text").asText()).isEqualTo("a blue square");
        assertThat(snapshot.at("/topics/captions").asText()).isEqualTo("webcmd.captions");

        Cli.Result stopped = web.stop();
        assertThat(stopped.exitCode()).as(stopped.toString()).isZero();
        assertThat(stopped.out()).endsWith("stopping the web page\n");
    }

    @Test
    void aPortThatIsNotOneAndKafkaThatIsNotThereAreOneLineErrors() throws Exception {
        Cli.Result port = Cli.run("web", "--web-port", "70000", "--bootstrap-servers", broker.bootstrapServers());
        assertThat(port.exitCode()).isEqualTo(1);
        assertThat(port.errLines()).singleElement().asString().contains("--web-port must be a port in [0, 65535] (0 = any free port), got 70000");
        Cli.Result demo = Cli.run("demo", "--web-port", "-2");
        assertThat(demo.exitCode()).isEqualTo(1);
        assertThat(demo.errLines()).singleElement().asString().contains("--web-port must be a port in [0, 65535] (0 = any free port), got -2");
        Cli.Result nobody = Cli.run("web", "--bootstrap-servers", "localhost:" + freePort(), "--connect-timeout", "3");
        assertThat(nobody.exitCode()).isEqualTo(1);
        assertThat(nobody.errLines()).singleElement().asString().contains("cannot reach Kafka at localhost:");
    }
}
