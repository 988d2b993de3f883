package io.narrator.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.narrator.stream.Health;
import io.narrator.stream.HealthEndpoints;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The page's HTTP server (the JDK's): the page itself ({@code /}, {@code /app.js}, {@code /style.css}, static files from
 * the jar's {@code web/} folder), its data ({@code /api/snapshot} as JSON, {@code /api/events} as server-sent events,
 * {@code /api/frame?stream=ID} a stream's latest frame as an image) and the health endpoints
 * ({@link HealthEndpoints}). Each request runs on a daemon thread of the server's own pool.
 */
final class WebServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebServer.class);

    /** The page's files: path served, resource in the jar, media type. */
    private static final Map<String, String[]> FILES = Map.of(
            "/", new String[] {"web/index.html", "text/html; charset=utf-8"},
            "/app.js", new String[] {"web/app.js", "text/javascript; charset=utf-8"},
            "/style.css", new String[] {"web/style.css", "text/css; charset=utf-8"});

    private final HttpServer server;
    private final ExecutorService threads;
    private final ServerSentEvents events;

    private WebServer(HttpServer server, ExecutorService threads, ServerSentEvents events) {
        this.server = server;
        this.threads = threads;
        this.events = events;
    }

    /**
     * Serves {@code board} on {@code port} (0 = a free port) on all interfaces, with {@code health} at the health endpoints.
     *
     * @throws UncheckedIOException in one line naming the port when it cannot be bound
     */
    static WebServer start(StreamBoard board, int port, Supplier<Health> health, ServerSentEvents.Settings settings) {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("web port must be in [0, 65535], got " + port);
        Map<String, byte[]> files = new HashMap<>();
        FILES.forEach((path, resource) -> files.put(path, resource(resource[0])));
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the web page on port " + port + ": " + e.getMessage(), e);
        }
        AtomicInteger count = new AtomicInteger();
        ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "narrator-web-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        ServerSentEvents events = new ServerSentEvents(settings);
        server.setExecutor(threads);
        server.createContext("/", exchange -> {
            try (exchange) {
                String[] file = FILES.get(exchange.getRequestURI().getPath());
                if (file == null) respond(exchange, 404, "text/plain; charset=utf-8", bytes("no such page: " + exchange.getRequestURI().getPath() + "\n"));
                else respond(exchange, 200, file[1], files.get(exchange.getRequestURI().getPath()));
            }
        });
        server.createContext("/api/snapshot", exchange -> {
            try (exchange) {
                respond(exchange, 200, "application/json", bytes(board.snapshot().toString()));
            }
        });
        server.createContext("/api/events", exchange -> events.serve(exchange, board));
        server.createContext("/api/frame", exchange -> {
            try (exchange) {
                frame(exchange, board);
            }
        });
        HealthEndpoints.register(server, health);
        server.start();
        return new WebServer(server, threads, events);
    }

    private static void frame(HttpExchange exchange, StreamBoard board) throws IOException {
        String stream = query(exchange, "stream");
        if (stream == null) {
            respond(exchange, 400, "text/plain; charset=utf-8", bytes("give the stream: /api/frame?stream=ID\n"));
            return;
        }
        Optional<LatestFrame> frame = board.latestFrame(stream);
        if (frame.isEmpty()) {
            respond(exchange, 404, "text/plain; charset=utf-8", bytes("no frame of stream " + stream + " yet\n"));
            return;
        }
        LatestFrame.Image image;
        try {
            image = frame.get().image();
        } catch (RuntimeException e) {
            LOG.debug("cannot show the latest frame of stream {}", stream, e);
            respond(exchange, 422, "text/plain; charset=utf-8", bytes("the latest frame of stream " + stream + " cannot be shown: " + e.getMessage() + "\n"));
            return;
        }
        respond(exchange, 200, image.contentType(), image.bytes());
    }

    /** The decoded value of a query parameter, or null. */
    static String query(HttpExchange exchange, String name) {
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw == null) return null;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            if (key.equals(name)) return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        }
        return null;
    }

    private static void respond(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        if ("HEAD".equals(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = WebServer.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("the jar has no " + name + ": rebuild Narrator");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name + " from the jar: " + e.getMessage(), e);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The port the server listens on. */
    int port() {
        return server.getAddress().getPort();
    }

    /** Pages open now (event streams being served). */
    int openPages() {
        return events.connections();
    }

    /** Ends the event streams and stops serving. */
    @Override
    public void close() {
        events.close();
        server.stop(0);
        threads.shutdownNow();
    }
}
