package io.narrator.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Server-sent events on a real JDK HTTP server, read by the JDK's HTTP client as a browser's EventSource reads them. */
class ServerSentEventsTest {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    /** An event source that hands out fixed opening events and lets the test publish changes. */
    static final class Source implements EventSource {
        final List<Consumer<PageEvent>> listeners = new CopyOnWriteArrayList<>();
        final List<PageEvent> opening;
        /** Changes published from inside subscribe, before the opening events are returned (a burst the queue must hold). */
        final int burst;

        Source(int burst, PageEvent... opening) {
            this.burst = burst;
            this.opening = List.of(opening);
        }

        @Override
        public synchronized List<PageEvent> subscribe(Consumer<PageEvent> listener) {
            listeners.add(listener);
            for (int i = 0; i < burst; i++) listener.accept(event("caption", i));
            return opening;
        }

        @Override
        public void unsubscribe(Consumer<PageEvent> listener) {
            listeners.remove(listener);
        }

        synchronized void publish(PageEvent event) {
            listeners.forEach(l -> l.accept(event));
        }
    }

    private HttpServer server;
    private ExecutorService threads;
    private ServerSentEvents events;

    private int serve(Source source, ServerSentEvents.Settings settings) throws IOException {
        server = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        threads = Executors.newCachedThreadPool();
        server.setExecutor(threads);
        events = new ServerSentEvents(settings);
        server.createContext("/events", exchange -> events.serve(exchange, source));
        server.start();
        return server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        if (events != null) events.close();
        if (server != null) server.stop(0);
        if (threads != null) threads.shutdownNow();
    }

    static PageEvent event(String type, long n) {
        ObjectNode data = JsonNodeFactory.instance.objectNode().put("n", n);
        return new PageEvent(type, data);
    }

    private static ServerSentEvents.Settings settings(int maxConnections, int queue, Duration heartbeat) {
        return new ServerSentEvents.Settings(maxConnections, queue, heartbeat, Duration.ofMillis(1500));
    }

    /** An open event stream, read line by line. */
    record Stream(HttpResponse<InputStream> response, BufferedReader lines) implements AutoCloseable {
        static Stream open(int port) throws Exception {
            HttpResponse<InputStream> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/events"))
                    .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofInputStream());
            return new Stream(r, new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8)));
        }

        /** The next {@code n} lines, blank ones included. */
        List<String> next(int n) throws IOException {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < n; i++) out.add(lines.readLine());
            return out;
        }

        @Override
        public void close() throws IOException {
            response.body().close();
        }
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("not within 10 s: " + what);
            Thread.sleep(20);
        }
    }

    @Test
    void aConnectionGetsTheRetryTheOpeningEventsThenEachChangeInOrder() throws Exception {
        Source source = new Source(0, event("snapshot", 0));
        int port = serve(source, ServerSentEvents.Settings.defaults());
        try (Stream stream = Stream.open(port)) {
            assertThat(stream.response().statusCode()).isEqualTo(200);
            assertThat(stream.response().headers().firstValue("Content-Type")).hasValue("text/event-stream; charset=utf-8");
            assertThat(stream.response().headers().firstValue("Cache-Control")).hasValue("no-store");
            assertThat(stream.next(5)).containsExactly("retry: 2000", "", "event: snapshot", "data: {\"n\":0}", "");
            await(() -> source.listeners.size() == 1, "subscribed");
            for (int i = 1; i <= 3; i++) source.publish(event("caption", i));
            source.publish(event("dead-letter", 4));
            assertThat(stream.next(12)).containsExactly(
                    "event: caption", "data: {\"n\":1}", "",
                    "event: caption", "data: {\"n\":2}", "",
                    "event: caption", "data: {\"n\":3}", "",
                    "event: dead-letter", "data: {\"n\":4}", "");
            assertThat(events.connections()).isEqualTo(1);
        }
    }

    @Test
    void anIdleConnectionGetsAHeartbeatComment() throws Exception {
        Source source = new Source(0, event("snapshot", 0));
        int port = serve(source, settings(4, 100, Duration.ofMillis(200)));
        try (Stream stream = Stream.open(port)) {
            assertThat(stream.next(5)).endsWith("data: {\"n\":0}", "");
            long start = System.nanoTime();
            assertThat(stream.next(2)).containsExactly(": keep-alive", "");
            assertThat((System.nanoTime() - start) / 1e9).isLessThan(5);
        }
    }

    @Test
    void aClosedPageIsNoticedAndUnsubscribed() throws Exception {
        Source source = new Source(0, event("snapshot", 0));
        int port = serve(source, settings(4, 100, Duration.ofMillis(100)));
        Stream stream = Stream.open(port);
        stream.next(5);
        await(() -> source.listeners.size() == 1, "subscribed");
        stream.close();
        await(() -> source.listeners.isEmpty() && events.connections() == 0, "the closed connection unsubscribed");
    }

    @Test
    void aConnectionThatFallsBehindIsEndedSoTheBrowserReconnectsToANewSnapshot() throws Exception {
        // ten changes arrive before the connection has written anything; it holds five
        Source source = new Source(10, event("snapshot", 0));
        int port = serve(source, settings(4, 5, Duration.ofSeconds(30)));
        try (Stream stream = Stream.open(port)) {
            assertThat(stream.next(5)).containsExactly("retry: 1500", "", "event: snapshot", "data: {\"n\":0}", "");
            assertThat(stream.lines().readLine()).as("the stream ends rather than skip changes").isNull();
        }
        await(() -> source.listeners.isEmpty() && events.connections() == 0, "the overflowed connection unsubscribed");
        // the browser's reconnect is served like any connection
        Source calm = new Source(0, event("snapshot", 1));
        stop();
        int again = serve(calm, settings(4, 5, Duration.ofSeconds(30)));
        try (Stream stream = Stream.open(again)) {
            assertThat(stream.next(5)).endsWith("data: {\"n\":1}", "");
        }
    }

    @Test
    void connectionsBeyondTheLimitAreRefused() throws Exception {
        Source source = new Source(0, event("snapshot", 0));
        int port = serve(source, settings(1, 100, Duration.ofSeconds(30)));
        try (Stream first = Stream.open(port); Stream second = Stream.open(port)) {
            first.next(5);
            assertThat(second.response().statusCode()).isEqualTo(503);
            assertThat(second.lines().readLine()).isEqualTo("already 1 pages open: close one and reload");
        }
    }

    @Test
    void closingEndsEveryOpenConnectionAndRefusesNewOnes() throws Exception {
        Source source = new Source(0, event("snapshot", 0));
        int port = serve(source, settings(4, 100, Duration.ofSeconds(30)));
        try (Stream a = Stream.open(port); Stream b = Stream.open(port)) {
            a.next(5);
            b.next(5);
            events.close();
            assertThat(a.lines().readLine()).isNull();
            assertThat(b.lines().readLine()).isNull();
            await(() -> source.listeners.isEmpty(), "both unsubscribed");
            try (Stream late = Stream.open(port)) {
                assertThat(late.response().statusCode()).isEqualTo(503);
            }
        }
    }

    @Test
    void onlyGetIsServed() throws Exception {
        int port = serve(new Source(0, event("snapshot", 0)), ServerSentEvents.Settings.defaults());
        HttpResponse<String> post = CLIENT.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/events"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
    }

    @Test
    void settingsRejectValuesThatCannotWork() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> settings(0, 1, Duration.ofSeconds(1))).hasMessageContaining("maxConnections must be >= 1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> settings(1, 0, Duration.ofSeconds(1))).hasMessageContaining("queueCapacity must be >= 1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> settings(1, 1, Duration.ZERO)).hasMessageContaining("heartbeat must be positive");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new PageEvent("Bad Type", JsonNodeFactory.instance.objectNode()))
                .hasMessageContaining("lower-case letters");
    }
}
