package io.narrator.stream;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A narrator with the fake narration in a JVM of its own, so that an integration test can kill it
 * abruptly (SIGKILL) and start it again. Arguments: {@code key=value} configuration properties.
 * Prints {@code RUNNING} once Kafka Streams runs, then runs until killed.
 */
public final class NarratorProcessMain {
    private NarratorProcessMain() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> props = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            props.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        NarratorApp app = NarratorApp.create(NarratorConfig.of(props), new FakeNarration());
        app.start();
        if (!app.awaitRunning(Duration.ofMinutes(2))) throw new IllegalStateException("narrator did not start");
        System.out.println("RUNNING");
        System.out.flush();
        Thread.currentThread().join();
    }
}
