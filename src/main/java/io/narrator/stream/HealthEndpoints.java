package io.narrator.stream;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * The health endpoints of an HTTP server: {@code /health/live} and {@code /health/ready}, 200 with {@code live} /
 * {@code ready}, or 503 with the reason, from a {@link Health} asked at each request. Served by {@link MetricsServer} and
 * by the web page's server, so probes find them on whichever of {@code metrics.port} and {@code web.port} is set.
 */
public final class HealthEndpoints {
    private HealthEndpoints() {}

    /** Adds both endpoints to {@code server}. */
    public static void register(HttpServer server, Supplier<Health> health) {
        server.createContext("/health/live", exchange -> {
            Health h = health.get();
            respond(exchange, h.live() ? 200 : 503, h.live() ? "live\n" : h.reason() + "\n");
        });
        server.createContext("/health/ready", exchange -> {
            Health h = health.get();
            respond(exchange, h.ready() ? 200 : 503, h.ready() ? "ready\n" : h.reason() + "\n");
        });
    }

    private static void respond(HttpExchange exchange, int status, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
