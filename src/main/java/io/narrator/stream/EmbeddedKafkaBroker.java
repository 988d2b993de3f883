package io.narrator.stream;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real Apache Kafka broker ({@code kafka_2.13}) run in this JVM in KRaft combined mode (one node
 * that is both broker and controller), for {@code narrator demo}, {@code narrator broker} and tests.
 * Its storage is formatted on first start; data lives in a given directory (kept) or a temporary
 * one (deleted on {@link #close()}).
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final String CONTROLLER = "CONTROLLER";
    private static final int NODE_ID = 1;

    private final KafkaRaftServer server;
    private final int port;
    private final Path dataDir;
    private final boolean temporary;
    private volatile boolean closed;

    private EmbeddedKafkaBroker(KafkaRaftServer server, int port, Path dataDir, boolean temporary) {
        this.server = server;
        this.port = port;
        this.dataDir = dataDir;
        this.temporary = temporary;
    }

    /** Starts a broker on a free port with data in a temporary directory. */
    public static EmbeddedKafkaBroker start() {
        return builder().start();
    }

    /** Options for starting a broker. */
    public static Builder builder() {
        return new Builder();
    }

    /** Chooses port, data directory and extra broker properties, then {@link #start()}s the broker. */
    public static final class Builder {
        private int port;
        private Path dataDir;

        private Builder() {}

        /** The client port; 0 (the default) picks a free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
            this.port = port;
            return this;
        }

        /** Keeps data in this directory (created if missing, kept on close); default: a temporary directory deleted on close. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** Formats the storage if needed and starts the broker; returns once it accepts clients. */
        public EmbeddedKafkaBroker start() {
            boolean temporary = dataDir == null;
            Path dir;
            try {
                dir = temporary ? Files.createTempDirectory("narrator-kafka") : Files.createDirectories(dataDir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create broker data directory " + dataDir, e);
            }
            int clientPort = port > 0 ? port : freePort();
            int controllerPort = freePort();
            Properties props = new Properties();
            props.put("process.roles", "broker,controller");
            props.put("node.id", String.valueOf(NODE_ID));
            props.put("controller.quorum.voters", NODE_ID + "@localhost:" + controllerPort);
            props.put("listeners", "PLAINTEXT://localhost:" + clientPort + "," + CONTROLLER + "://localhost:" + controllerPort);
            props.put("advertised.listeners", "PLAINTEXT://localhost:" + clientPort);
            props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER + ":PLAINTEXT");
            props.put("controller.listener.names", CONTROLLER);
            props.put("inter.broker.listener.name", "PLAINTEXT");
            props.put("log.dirs", dir.toAbsolutePath().toString());
            props.put("offsets.topic.replication.factor", "1");
            props.put("offsets.topic.num.partitions", "5");
            props.put("transaction.state.log.replication.factor", "1");
            props.put("transaction.state.log.min.isr", "1");
            props.put("transaction.state.log.num.partitions", "5");
            props.put("group.initial.rebalance.delay.ms", "0");
            props.put("group.min.session.timeout.ms", "1000");
            props.put("share.coordinator.state.topic.replication.factor", "1");
            props.put("share.coordinator.state.topic.min.isr", "1");
            props.put("message.max.bytes", String.valueOf(64 << 20));
            props.put("replica.fetch.max.bytes", String.valueOf(64 << 20));
            KafkaConfig config = new KafkaConfig(props, false);
            if (!Files.exists(dir.resolve("meta.properties"))) try {
                new Formatter()
                        .setClusterId(Uuid.randomUuid().toString())
                        .setNodeId(NODE_ID)
                        .addDirectory(dir.toAbsolutePath().toString())
                        .setMetadataLogDirectory(dir.toAbsolutePath().toString())
                        .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                        .setControllerListenerName(CONTROLLER)
                        .setIgnoreFormatted(true)
                        .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                        .run();
            } catch (Exception e) {
                throw new IllegalStateException("cannot format Kafka storage in " + dir + ": " + e.getMessage(), e);
            }
            else LOG.info("reusing formatted Kafka storage in {}", dir);
            long started = System.nanoTime();
            KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();
            EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, clientPort, dir, temporary);
            try {
                broker.awaitReady(Duration.ofSeconds(60));
            } catch (RuntimeException e) {
                broker.close();
                throw e;
            }
            LOG.info("embedded Kafka broker on {} ready in {} ms (data in {})", broker.bootstrapServers(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), dir);
            return broker;
        }
    }

    /** Where clients connect: {@code localhost:<port>}. */
    public String bootstrapServers() {
        return "localhost:" + port;
    }

    /** The client port. */
    public int port() {
        return port;
    }

    /** The directory holding the broker's logs and metadata. */
    public Path dataDir() {
        return dataDir;
    }

    /** Stops the broker, waits until it has stopped, and deletes its data when it was temporary. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            server.shutdown();
            server.awaitShutdown();
        } finally {
            if (temporary) {
                try {
                    Utils.delete(dataDir.toFile());
                } catch (IOException e) {
                    LOG.warn("cannot delete broker data directory {}", dataDir, e);
                }
            }
        }
        LOG.info("embedded Kafka broker on port {} stopped", port);
    }

    private void awaitReady(Duration timeout) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(props)) {
            while (true) {
                Exception last = null;
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) return;
                } catch (Exception e) {
                    last = e;
                }
                if (System.nanoTime() > deadline)
                    throw new IllegalStateException("embedded Kafka broker did not become ready within " + timeout, last);
            }
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port", e);
        }
    }
}
