package io.narrator.cli;

import io.narrator.model.FlamingoModel;
import io.narrator.model.ModelDevice;
import io.narrator.stream.EmbeddedKafkaBroker;
import io.narrator.stream.FlamingoNarration;
import io.narrator.stream.NarratorApp;
import io.narrator.stream.NarratorConfig;
import io.narrator.stream.Topics;
import io.narrator.web.WebPage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code narrator run}: the streaming narrator (Kafka Streams) until Ctrl-C. */
@Command(name = "run", header = "Run the streaming narrator (Kafka Streams) until Ctrl-C.",
        mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs the narrator: reads frames and segments, narrates a clip per window and stream, publishes captions. Scale out by starting more instances with the same application.id (up to one per partition). Without bootstrap servers it starts an embedded Kafka broker and says where it listens.",
        footer = {"", "Examples:",
                "  narrator run                                        # embedded broker on localhost:9092",
                "  narrator run --bootstrap-servers kafka-1:9092 --config narrator.properties",
                "  narrator run --config narrator.properties --model runs/tiny/model",
                "  narrator run --config narrator.properties --group-instance-id \"$(hostname)\"",
                "  narrator run --web-port 8080                        # and the live page on http://localhost:8080/",
                "", "Every key of narrator.properties: docs/configuration.md"})
final class RunCommand implements Callable<Integer> {
    /** How long Kafka Streams may take to join its group and start. */
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

    @Mixin KafkaOptions kafka;

    @Mixin ModelOption model;

    @Option(names = "--broker-port", paramLabel = "P", defaultValue = "9092",
            description = "Port of the embedded broker started when no bootstrap servers are given (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int brokerPort;

    @Option(names = "--broker-data", paramLabel = "DIR", description = "Keep the embedded broker's data in DIR (default: temporary).")
    Path brokerData;

    @Option(names = "--group-instance-id", paramLabel = "ID",
            description = "This instance's own id in the consumer group (static membership; default: group.instance.id from --config, else none): restarted with the same id within session.timeout.ms, it gets its partitions back without a rebalance. Give every instance its own, e.g. the pod or host name.")
    String groupInstanceId;

    @Option(names = "--web-port", paramLabel = "P",
            description = "Serve the live web page (frames, captions, dead letters, alerts; docs/web.md) and the health endpoints on this port (default: web.port from --config, else off; 0 = any free port).")
    Integer webPort;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        NarratorConfig config = kafka.config(null);
        if (groupInstanceId != null) {
            if (groupInstanceId.isBlank()) throw new IllegalArgumentException("--group-instance-id is empty: give this instance's own id, e.g. the pod or host name");
            config = config.with("group.instance.id", groupInstanceId.strip());
        }
        if (webPort != null) config = WebCommand.withPort(config, webPort);
        boolean embedded = config.bootstrapServers() == null || config.bootstrapServers().isBlank();
        if (embedded && brokerPort > 0) BrokerCommand.requireFree(brokerPort);
        if (!embedded) kafka.prepare(config); // before the model loads: a cluster that is not there fails in seconds
        FlamingoModel loaded = model.load(config);
        EmbeddedKafkaBroker broker = null;
        try (StopSignal stop = StopSignal.install(); FlamingoNarration narration = new FlamingoNarration(loaded)) {
            if (embedded) {
                EmbeddedKafkaBroker.Builder builder = EmbeddedKafkaBroker.builder().port(brokerPort);
                if (brokerData != null) builder.dataDir(brokerData);
                broker = builder.start();
                config = config.with("bootstrap.servers", broker.bootstrapServers());
                out.printf("embedded Kafka broker listening on %s (data in %s)%n", broker.bootstrapServers(), broker.dataDir());
            }
            Topics topics = Topics.from(config);
            // the page, and the health endpoints beside it, answer while Kafka Streams starts
            try (NarratorApp app = NarratorApp.create(config, narration); WebPage page = WebCommand.serveIfSet(config, app::health, out)) {
                app.start();
                if (!app.awaitRunning(START_TIMEOUT))
                    throw new IllegalStateException("the narrator did not start within " + START_TIMEOUT.toMinutes() + " minutes (state " + app.state() + ")");
                String instance = config.properties().getOrDefault("group.instance.id", "");
                out.printf("narrator running (application.id %s%s, model %s %s on %s, %s): %s + %s -> %s%s. Ctrl-C to stop.%n", config.applicationId(),
                        instance.isEmpty() ? "" : ", group.instance.id " + instance,
                        narration.modelInfo().name(), narration.modelInfo().version(), ModelDevice.describe(loaded.device()), loaded.dtype().label(),
                        topics.frames().name(), topics.segments().name(),
                        topics.captions().name() + " (" + config.captionsFormat().configName() + ")",
                        (app.metricsPort() > 0 ? ", metrics at http://localhost:" + app.metricsPort() + "/metrics" : "")
                                + (page != null ? ", web page at http://localhost:" + page.port() + "/" : ""));
                out.flush();
                while (!stop.await(Duration.ofSeconds(1))) {
                    KafkaStreams.State state = app.state();
                    if (app.failure() != null || state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING)
                        throw new IllegalStateException("the narrator stopped: "
                                + (app.failure() == null ? "Kafka Streams is " + state : app.failureReason()));
                }
                out.println("stopping the narrator");
                out.flush();
            }
        } finally {
            if (broker != null) broker.close();
        }
        return 0;
    }
}
