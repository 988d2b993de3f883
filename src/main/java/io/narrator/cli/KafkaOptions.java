package io.narrator.cli;

import io.narrator.stream.BootstrapProbe;
import io.narrator.stream.NarratorConfig;
import io.narrator.stream.TopicAdmin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Option;

/**
 * The options every Kafka-facing command shares (a picocli mixin): where the cluster is, the properties
 * file with Narrator's keys and the client's security settings, and how long to wait for the cluster.
 */
final class KafkaOptions {
    /** Where client commands look for Kafka when neither the flag nor the file says: {@code narrator broker}'s default. */
    static final String DEFAULT_SERVERS = "localhost:9092";

    /** What to do when Kafka cannot be reached, after the reason. */
    private static final String ADVICE = "; is a broker running there? Start one with `narrator broker`, or pass --bootstrap-servers";

    @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]",
            description = "Kafka brokers (default: bootstrap.servers from --config, else " + DEFAULT_SERVERS + ").")
    String bootstrapServers;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = {"Properties file: Narrator keys (topic names, ...) and Kafka client settings (security.protocol, sasl.*, ssl.*).",
                    "Repeat to combine files (e.g. narrator.properties, then a secret client.properties); later files win."})
    List<Path> configFiles = new ArrayList<>();

    @Option(names = "--connect-timeout", paramLabel = "SECONDS", defaultValue = "15",
            description = "Give up when Kafka does not answer within this many seconds (default: ${DEFAULT-VALUE}); where nothing listens at the address (connection refused, no such host) the command fails at once.")
    int connectTimeoutSeconds;

    /** The configuration from {@code --config} and {@code --bootstrap-servers}, falling back to {@code fallbackServers} (null: leave empty). */
    NarratorConfig config(String fallbackServers) {
        NarratorConfig config = load(configFiles);
        if (bootstrapServers != null) {
            if (bootstrapServers.isBlank()) throw new IllegalArgumentException("--bootstrap-servers is empty: give HOST:PORT of a Kafka broker");
            config = config.with("bootstrap.servers", bootstrapServers.strip());
        } else if ((config.bootstrapServers() == null || config.bootstrapServers().isBlank()) && fallbackServers != null) {
            config = config.with("bootstrap.servers", fallbackServers);
        }
        return config;
    }

    /**
     * Narrator's configuration from the environment ({@code NARRATOR_*} variables, see {@link NarratorConfig#fromEnvironment})
     * and properties files read in order over it (later keys win); the defaults where neither says.
     */
    static NarratorConfig load(List<Path> files) {
        return load(files, System.getenv());
    }

    /** {@link #load(List)} with the given environment variables. */
    static NarratorConfig load(List<Path> files, Map<String, String> env) {
        Properties merged = new Properties();
        merged.putAll(NarratorConfig.fromEnvironment(env));
        for (Path file : files) {
            if (!Files.isRegularFile(file)) throw new IllegalArgumentException("configuration file " + file + " does not exist");
            merged.putAll(NarratorConfig.read(file));
        }
        return NarratorConfig.of(merged);
    }

    /** The configuration of a client command: Kafka at {@link #DEFAULT_SERVERS} unless told otherwise. */
    NarratorConfig clientConfig() {
        return config(DEFAULT_SERVERS);
    }

    Duration connectTimeout() {
        if (connectTimeoutSeconds <= 0) throw new IllegalArgumentException("--connect-timeout must be a positive number of seconds, got " + connectTimeoutSeconds);
        return Duration.ofSeconds(connectTimeoutSeconds);
    }

    /**
     * Checks that the cluster answers, then creates Narrator's topics where missing (as {@code narrator run}
     * does), so every command works whatever order they are started in. Bootstrap servers where nothing listens
     * (connection refused, no such host) fail at once ({@link BootstrapProbe}); a cluster that does not answer fails
     * after {@code --connect-timeout}.
     *
     * @throws IllegalStateException in one line naming the servers when Kafka cannot be reached
     */
    void prepare(NarratorConfig config) {
        Duration timeout = connectTimeout();
        BootstrapProbe.unreachable(config.bootstrapServers(), timeout).ifPresent(why -> {
            throw new IllegalStateException("cannot reach Kafka at " + config.bootstrapServers() + " (" + why + ")" + ADVICE);
        });
        Properties p = config.clientProperties();
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        Admin admin;
        try {
            admin = Admin.create(p);
        } catch (KafkaException e) {
            throw new IllegalArgumentException("cannot connect to Kafka at " + config.bootstrapServers() + ": " + rootMessage(e));
        }
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
                    .nodes().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            List<String> created = TopicAdmin.ensureTopics(admin, config);
            if (!created.isEmpty()) org.slf4j.LoggerFactory.getLogger(KafkaOptions.class).info("created topics {}", created);
        } catch (ExecutionException | TimeoutException e) {
            throw unreachable(config, timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while connecting to Kafka at " + config.bootstrapServers());
        } finally {
            admin.close(Duration.ofSeconds(1));
        }
    }

    private static IllegalStateException unreachable(NarratorConfig config, Duration timeout, Exception e) {
        String why = e instanceof TimeoutException || e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException
                ? "no answer within " + timeout.toSeconds() + " s"
                : rootMessage(e);
        return new IllegalStateException("cannot reach Kafka at " + config.bootstrapServers() + " (" + why + ")" + ADVICE);
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String message = t.getMessage();
        return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
    }
}
