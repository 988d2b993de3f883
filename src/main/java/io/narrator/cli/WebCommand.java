package io.narrator.cli;

import io.narrator.stream.Health;
import io.narrator.stream.NarratorConfig;
import io.narrator.web.WebPage;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code narrator web}: the live web page of any cluster's streams, until Ctrl-C. */
@Command(name = "web", header = "Serve the live web page of a cluster's streams until Ctrl-C.",
        mixinStandardHelpOptions = true, sortOptions = false,
        description = "Serves a web page that shows every stream with its latest sampled frame, its captions as they arrive, its dead letters and alerts, following Narrator's topics on any cluster as a subscriber (committed records only, no consumer group). /health/live and /health/ready on the same port say whether the page follows Kafka and has read the topics' recent records. `narrator run --web-port P` and `narrator demo --web-port P` serve the same page beside the narrator.",
        footer = {"", "Examples:",
                "  narrator web                                         # Kafka on localhost:9092, page on http://localhost:8080/",
                "  narrator web --bootstrap-servers kafka-1:9092 --config client.properties --web-port 8081",
                "", "More: docs/web.md"})
final class WebCommand implements Callable<Integer> {
    /** The page's port when neither --web-port nor web.port says. */
    static final int DEFAULT_PORT = 8080;

    @Mixin KafkaOptions kafka;

    @Option(names = "--web-port", paramLabel = "P",
            description = "Port of the page (default: web.port from --config, else " + DEFAULT_PORT + "; 0 = any free port).")
    Integer webPort;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        NarratorConfig config = kafka.clientConfig();
        if (webPort != null) config = withPort(config, webPort);
        else if (config.webPort() < 0) config = config.with("web.port", String.valueOf(DEFAULT_PORT));
        kafka.prepare(config);
        PrintWriter out = spec.commandLine().getOut();
        try (StopSignal stop = StopSignal.install(); WebPage page = serve(config, null, out)) {
            while (!stop.await(Duration.ofSeconds(1))) {
                Health health = page.health();
                if (!health.live()) throw new IllegalStateException(health.reason());
            }
            out.println("stopping the web page");
            out.flush();
        }
        return 0;
    }

    /** {@code config} with the page on {@code port}, checked as {@code --web-port}. */
    static NarratorConfig withPort(NarratorConfig config, int port) {
        checkPort(port);
        return config.with("web.port", String.valueOf(port));
    }

    /** Refuses a {@code --web-port} that is not a port, before anything starts. */
    static void checkPort(Integer port) {
        if (port != null && (port < 0 || port > 65535))
            throw new IllegalArgumentException("--web-port must be a port in [0, 65535] (0 = any free port), got " + port);
    }

    /** Like {@link #serve} when {@code web.port} is set (not -1); null otherwise. */
    static WebPage serveIfSet(NarratorConfig config, Supplier<Health> health, PrintWriter out) {
        return config.webPort() < 0 ? null : serve(config, health, out);
    }

    /**
     * Starts the page on {@code config}'s web port and says where it is.
     *
     * @param health what the health endpoints report (a narrator's), or null for the page's own
     */
    static WebPage serve(NarratorConfig config, Supplier<Health> health, PrintWriter out) {
        WebPage page = WebPage.start(config, health);
        out.printf("web page at http://localhost:%d/ (health at /health/live and /health/ready), following %s%n", page.port(), config.bootstrapServers());
        out.flush();
        return page;
    }
}
