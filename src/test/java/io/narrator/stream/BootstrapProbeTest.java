package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BootstrapProbeTest {

    /** A port on the loopback address where nothing listens: one the system gave out and that was closed again. */
    static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void aClosedPortIsRefusedAtOnce() throws Exception {
        int port = closedPort();
        long start = System.nanoTime();
        assertThat(BootstrapProbe.unreachable("127.0.0.1:" + port, Duration.ofSeconds(15))).contains("127.0.0.1:" + port + ": connection refused");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void oneListeningAddressIsEnoughAndEveryOtherIsNamed() throws Exception {
        int closed = closedPort();
        try (ServerSocket listening = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThat(BootstrapProbe.unreachable("127.0.0.1:" + closed + ", 127.0.0.1:" + listening.getLocalPort(), Duration.ofSeconds(15))).isEmpty();
        }
        assertThat(BootstrapProbe.unreachable("127.0.0.1:" + closed + ",no-such-host.invalid:9092", Duration.ofSeconds(15)))
                .contains("127.0.0.1:" + closed + ": connection refused, no-such-host.invalid:9092: no such host");
    }

    @Test
    void anAddressThatIsNotHostAndPortIsNamed() {
        assertThatThrownBy(() -> BootstrapProbe.unreachable("kafka", Duration.ofSeconds(1))).hasMessage("bootstrap server 'kafka' is not HOST:PORT");
        assertThatThrownBy(() -> BootstrapProbe.unreachable("kafka:ninety", Duration.ofSeconds(1))).hasMessage("bootstrap server 'kafka:ninety' has no port number");
        assertThatThrownBy(() -> BootstrapProbe.unreachable(" , ", Duration.ofSeconds(1))).hasMessageStartingWith("bootstrap.servers is empty");
    }
}
