package io.narrator.stream;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Whether anything listens at Kafka's bootstrap servers: a TCP connection to each address in turn, so that a cluster
 * that is not there (connection refused, no such host, no route) is reported at once instead of after the Kafka
 * clients' timeouts, which treat a refused connection as a broker that may come back. A connection that is accepted
 * says nothing about the broker behind it (security, protocol): the clients check that.
 */
public final class BootstrapProbe {
    private BootstrapProbe() {}

    /**
     * Tries each of {@code servers} ({@code host:port,...}) until one accepts a connection, within about {@code timeout} in
     * all (at least a second for each).
     *
     * @return empty when an address accepted a connection; otherwise why none did, one reason per address
     *     ({@code localhost:1: connection refused})
     * @throws IllegalArgumentException when {@code servers} holds no {@code host:port}
     */
    public static Optional<String> unreachable(String servers, Duration timeout) {
        List<String> addresses = Arrays.stream(servers == null ? new String[0] : servers.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (addresses.isEmpty()) throw new IllegalArgumentException("bootstrap.servers is empty: give HOST:PORT of a Kafka broker");
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> reasons = new ArrayList<>();
        for (int i = 0; i < addresses.size(); i++) {
            String address = addresses.get(i);
            int colon = address.lastIndexOf(':');
            if (colon <= 0 || colon == address.length() - 1)
                throw new IllegalArgumentException("bootstrap server '" + address + "' is not HOST:PORT");
            String host = address.substring(0, colon).replaceAll("^\\[|]$", "");
            int port;
            try {
                port = Integer.parseInt(address.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bootstrap server '" + address + "' has no port number");
            }
            if (port < 1 || port > 65535) throw new IllegalArgumentException("bootstrap server '" + address + "' has port " + port + ", not in [1, 65535]");
            // the time left, shared by the addresses not tried yet (a silent first address leaves time for the others)
            long shareMillis = Math.max(1000, (deadline - System.nanoTime()) / 1_000_000 / (addresses.size() - i));
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), (int) Math.min(Integer.MAX_VALUE, shareMillis));
                return Optional.empty();
            } catch (UnknownHostException e) {
                reasons.add(address + ": no such host");
            } catch (ConnectException e) {
                reasons.add(address + ": connection refused");
            } catch (NoRouteToHostException e) {
                reasons.add(address + ": no route to host");
            } catch (SocketTimeoutException e) {
                reasons.add(address + ": no answer within " + (shareMillis + 500) / 1000 + " s");
            } catch (IOException e) {
                reasons.add(address + ": " + e.getMessage());
            }
        }
        return Optional.of(String.join(", ", reasons));
    }
}
