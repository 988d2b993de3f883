package io.narrator.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.stream.Health;
import io.narrator.stream.TestMedia;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The page's HTTP server: its files, snapshot, frames and health endpoints. */
class WebServerTest {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StreamBoard board = new StreamBoard(Map.of("captions", "narrator.captions"));
    private final AtomicReference<Health> health = new AtomicReference<>(Health.notReady("Kafka Streams is REBALANCING"));
    private WebServer server;

    @BeforeEach
    void start() {
        server = WebServer.start(board, 0, health::get, ServerSentEvents.Settings.defaults());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<byte[]> get(String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String type(HttpResponse<?> r) {
        return r.headers().firstValue("Content-Type").orElse("");
    }

    @Test
    void thePageAndItsScriptAndStylesAreServedFromTheJar() throws Exception {
        HttpResponse<byte[]> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(type(page)).isEqualTo("text/html; charset=utf-8");
        assertThat(new String(page.body())).contains("<script src=\"app.js\"").contains("href=\"style.css\"").contains("id=\"streams\"");
        HttpResponse<byte[]> script = get("/app.js");
        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(type(script)).isEqualTo("text/javascript; charset=utf-8");
        assertThat(new String(script.body())).contains("new EventSource(\"api/events\")");
        HttpResponse<byte[]> css = get("/style.css");
        assertThat(css.statusCode()).isEqualTo(200);
        assertThat(type(css)).isEqualTo("text/css; charset=utf-8");
        HttpResponse<byte[]> missing = get("/secrets.txt");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(new String(missing.body())).isEqualTo("no such page: /secrets.txt\n");
    }

    @Test
    void theSnapshotIsTheBoardAsJson() throws Exception {
        board.caption(WebRecords.caption("cam", 0, 8, "a red circle"));
        HttpResponse<byte[]> r = get("/api/snapshot");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(type(r)).isEqualTo("application/json");
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
        JsonNode snapshot = JSON.readTree(r.body());
        assertThat(snapshot).isEqualTo(JSON.readTree(board.snapshot().toString()));
        assertThat(snapshot.at("/streams/0/captions/0/text").asText()).isEqualTo("a red circle");
    }

    @Test
    void aStreamsLatestFrameIsServedAsAnImageAtTheUrlItsEventGives() throws Exception {
        assertThat(get("/api/frame?stream=cam%201").statusCode()).isEqualTo(404);
        assertThat(get("/api/frame").statusCode()).isEqualTo(400);
        byte[] jpeg = TestMedia.jpeg("green");
        board.frame("cam 1", LatestFrame.of(TestMedia.frame("cam 1", 3, 5_000_000, "JPEG", TestMedia.W, TestMedia.H, jpeg), 1 << 20));
        String url = board.snapshot().at("/streams/0/frame/url").asText();
        HttpResponse<byte[]> r = get("/" + url);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(type(r)).isEqualTo("image/jpeg");
        assertThat(r.body()).isEqualTo(jpeg);
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    }

    @Test
    void aFrameThatCannotBeShownIsA422NamingTheStream() throws Exception {
        board.frame("cam", LatestFrame.of(TestMedia.segment("cam", 1, 0, 2, "MPEGTS", new byte[188 * 2]), new io.narrator.ingest.FpsSampler(1), 1 << 20));
        HttpResponse<byte[]> r = get("/api/frame?stream=cam");
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(new String(r.body())).startsWith("the latest frame of stream cam cannot be shown: ");
    }

    @Test
    void theHealthEndpointsReportWhatTheyAreGiven() throws Exception {
        HttpResponse<byte[]> live = get("/health/live");
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(new String(live.body())).isEqualTo("live\n");
        HttpResponse<byte[]> ready = get("/health/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(new String(ready.body())).isEqualTo("Kafka Streams is REBALANCING\n");
        health.set(Health.ok());
        assertThat(get("/health/ready").statusCode()).isEqualTo(200);
        health.set(Health.dead("the narration engine failed"));
        HttpResponse<byte[]> dead = get("/health/live");
        assertThat(dead.statusCode()).isEqualTo(503);
        assertThat(new String(dead.body())).isEqualTo("the narration engine failed\n");
    }

    @Test
    void theEventStreamStartsWithTheSnapshot() throws Exception {
        board.caption(WebRecords.caption("cam", 0, 8, "first"));
        HttpResponse<java.io.InputStream> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/api/events")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(r.body()))) {
            assertThat(lines.readLine()).isEqualTo("retry: 2000");
            assertThat(lines.readLine()).isEmpty();
            assertThat(lines.readLine()).isEqualTo("event: snapshot");
            JsonNode snapshot = JSON.readTree(lines.readLine().substring("data: ".length()));
            assertThat(snapshot.at("/streams/0/captions/0/text").asText()).isEqualTo("first");
            assertThat(server.openPages()).isEqualTo(1);
            board.caption(WebRecords.caption("cam", 1, 12, "second"));
            assertThat(lines.readLine()).isEmpty();
            assertThat(lines.readLine()).isEqualTo("event: caption");
            assertThat(JSON.readTree(lines.readLine().substring("data: ".length())).get("text").asText()).isEqualTo("second");
        }
    }

    @Test
    void aPortInUseIsOneLineNamingIt() {
        int taken = server.port();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> WebServer.start(board, taken, health::get, ServerSentEvents.Settings.defaults()))
                .hasMessageStartingWith("cannot serve the web page on port " + taken + ": ");
    }
}
