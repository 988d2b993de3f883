package io.narrator.cli;

import io.narrator.stream.EmbeddedKafkaBroker;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code narrator broker}: a standalone single-node Kafka broker (KRaft) for development. */
@Command(name = "broker", header = "Run a standalone embedded Kafka broker for development.",
        mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs a single-node Apache Kafka broker (KRaft, broker and controller in one process) until Ctrl-C: the broker `run`, `ingest`, `tail` and `prompt` find at localhost:9092 by default. For development only.",
        footer = {"", "Examples:", "  narrator broker", "  narrator broker --port 19092 --data /var/tmp/narrator-kafka"})
final class BrokerCommand implements Callable<Integer> {
    @Option(names = {"-p", "--port"}, paramLabel = "P", defaultValue = "9092", description = "Client port (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int port;

    @Option(names = {"-d", "--data"}, paramLabel = "DIR",
            description = "Keep the broker's data in DIR across restarts (default: a temporary directory deleted on exit).")
    Path data;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in [0, 65535], got " + port);
        if (port > 0) requireFree(port);
        if (data != null && Files.exists(data) && !Files.isDirectory(data))
            throw new IllegalArgumentException("--data " + data + " is a file; give a directory for the broker's data");
        PrintWriter out = spec.commandLine().getOut();
        EmbeddedKafkaBroker.Builder builder = EmbeddedKafkaBroker.builder().port(port);
        if (data != null) builder.dataDir(data);
        try (StopSignal stop = StopSignal.install(); EmbeddedKafkaBroker broker = builder.start()) {
            out.printf("Kafka broker listening on %s (data in %s, %s on exit). Ctrl-C to stop.%n", broker.bootstrapServers(), broker.dataDir(),
                    data == null ? "deleted" : "kept");
            out.flush();
            stop.await();
            out.println("stopping the broker");
            out.flush();
        }
        return 0;
    }

    /** Fails in one line when something already listens on the port. */
    static void requireFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " is in use (another Kafka broker?); choose another with --port");
        }
    }
}
