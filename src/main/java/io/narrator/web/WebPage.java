package io.narrator.web;

import io.narrator.stream.Health;
import io.narrator.stream.NarratorConfig;
import java.time.Clock;
import java.util.function.Supplier;

/**
 * The live web page of a cluster: a {@link TopicFeed} following its topics onto a {@link StreamBoard}, served by a
 * {@link WebServer} on {@code web.port} with the health endpoints beside it. {@code narrator run} and {@code narrator demo}
 * start one next to the narrator (health is then the narrator's), {@code narrator web} on its own (health is the page's).
 */
public final class WebPage implements AutoCloseable {
    private final TopicFeed feed;
    private final WebServer server;

    private WebPage(TopicFeed feed, WebServer server) {
        this.feed = feed;
        this.server = server;
    }

    /**
     * Starts the page for the cluster and topics of {@code config} on {@code config.webPort()} (0 = a free port).
     *
     * @param health what {@code /health/live} and {@code /health/ready} report; null = the page's own ({@link #health()})
     * @throws IllegalArgumentException when {@code web.port} is off (-1)
     */
    public static WebPage start(NarratorConfig config, Supplier<Health> health) {
        if (config.webPort() < 0) throw new IllegalArgumentException("web.port is -1 (off): give the web page a port, or 0 for any free port");
        StreamBoard board = new StreamBoard(TopicFeed.topicNames(config));
        TopicFeed feed = TopicFeed.start(config, board, Clock.systemUTC());
        try {
            Supplier<Health> served = health == null ? feed::health : health;
            return new WebPage(feed, WebServer.start(board, config.webPort(), served, ServerSentEvents.Settings.defaults()));
        } catch (RuntimeException e) {
            feed.close();
            throw e;
        }
    }

    /** The port the page is served on. */
    public int port() {
        return server.port();
    }

    /** The page's own health: live while it follows Kafka, ready once it has read the topics' recent records. */
    public Health health() {
        return feed.health();
    }

    /** Stops serving and following Kafka. */
    @Override
    public void close() {
        server.close();
        feed.close();
    }
}
