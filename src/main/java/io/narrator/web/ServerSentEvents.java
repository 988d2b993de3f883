package io.narrator.web;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Server-sent events ({@code text/event-stream}) on the JDK's HTTP server. Each connection gets its source's opening
 * events, then every change through a bounded queue of its own, written by the connection's handler thread (never by the
 * thread that made the change), and a comment line every heartbeat, so that a closed connection is noticed and proxies
 * keep it open. A connection whose queue fills (a page that does not read) is closed: the browser's {@code EventSource}
 * reconnects after the advertised retry and starts again from a new snapshot.
 */
final class ServerSentEvents implements AutoCloseable {
    /**
     * @param maxConnections connections served at once; more are refused with 503
     * @param queueCapacity events waiting for one connection, at most
     * @param heartbeat how often an idle connection gets a comment line
     * @param retry how long a browser waits before reconnecting (the stream's {@code retry:} field)
     */
    record Settings(int maxConnections, int queueCapacity, Duration heartbeat, Duration retry) {
        Settings {
            if (maxConnections < 1) throw new IllegalArgumentException("maxConnections must be >= 1, got " + maxConnections);
            if (queueCapacity < 1) throw new IllegalArgumentException("queueCapacity must be >= 1, got " + queueCapacity);
            if (heartbeat == null || heartbeat.isNegative() || heartbeat.isZero()) throw new IllegalArgumentException("heartbeat must be positive, got " + heartbeat);
            if (retry == null || retry.isNegative()) throw new IllegalArgumentException("retry must be >= 0, got " + retry);
        }

        /** 64 pages, 10,000 events behind each, a heartbeat every 15 s, reconnect after 2 s. */
        static Settings defaults() {
            return new Settings(64, 10_000, Duration.ofSeconds(15), Duration.ofSeconds(2));
        }
    }

    /** Put in a connection's queue to end it. */
    private static final PageEvent END = new PageEvent("end", JsonNodeFactory.instance.objectNode());

    /** One open connection: its queue, and the listener its source calls. */
    private static final class Connection implements Consumer<PageEvent> {
        final BlockingQueue<PageEvent> queue;
        volatile boolean overflowed;

        Connection(int capacity) {
            queue = new LinkedBlockingQueue<>(capacity + 1); // room for END
        }

        @Override
        public void accept(PageEvent event) {
            if (overflowed) return;
            if (queue.remainingCapacity() <= 1 || !queue.offer(event)) {
                overflowed = true;
                end();
            }
        }

        void end() {
            queue.clear();
            queue.offer(END);
        }
    }

    private final Settings settings;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    ServerSentEvents(Settings settings) {
        this.settings = settings;
    }

    /**
     * Serves one {@code GET} as an event stream following {@code source} until the client goes away, the connection falls
     * behind, or this is closed; runs on the HTTP server's handler thread for as long as the connection lasts.
     */
    void serve(HttpExchange exchange, EventSource source) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod())) {
                refuse(exchange, 405, "events are read with GET\n");
                return;
            }
            if (closed) {
                refuse(exchange, 503, "the web page is stopping\n");
                return;
            }
            Connection connection = new Connection(settings.queueCapacity());
            if (connections.size() >= settings.maxConnections()) {
                refuse(exchange, 503, "already " + settings.maxConnections() + " pages open: close one and reload\n");
                return;
            }
            connections.add(connection);
            try {
                exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
                exchange.getResponseHeaders().set("Cache-Control", "no-store");
                exchange.getResponseHeaders().set("X-Accel-Buffering", "no"); // nginx: pass events on at once
                exchange.sendResponseHeaders(200, 0);
                OutputStream out = exchange.getResponseBody();
                List<PageEvent> opening = source.subscribe(connection);
                try {
                    write(out, "retry: " + settings.retry().toMillis() + "\n\n");
                    for (PageEvent event : opening) write(out, event.wireFormat());
                    out.flush();
                    if (closed) return;
                    stream(connection, out);
                } finally {
                    source.unsubscribe(connection);
                }
            } finally {
                connections.remove(connection);
            }
        } catch (IOException gone) {
            // the page was closed or its connection broke: nothing to tell anyone
        } catch (InterruptedException stopping) {
            Thread.currentThread().interrupt();
        }
    }

    private void stream(Connection connection, OutputStream out) throws IOException, InterruptedException {
        long heartbeatNanos = settings.heartbeat().toNanos();
        while (true) {
            PageEvent event = connection.queue.poll(heartbeatNanos, TimeUnit.NANOSECONDS);
            if (event == null) {
                write(out, ": keep-alive\n\n");
            } else {
                while (event != null) {
                    if (event == END) {
                        out.flush();
                        return;
                    }
                    write(out, event.wireFormat());
                    event = connection.queue.poll();
                }
            }
            out.flush();
        }
    }

    /** Connections open now. */
    int connections() {
        return connections.size();
    }

    /** Ends every connection (their handlers return) and refuses new ones. */
    @Override
    public void close() {
        closed = true;
        connections.forEach(Connection::end);
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }

    private static void refuse(HttpExchange exchange, int status, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }
}
