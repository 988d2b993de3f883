package io.narrator.stream;

import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/** The end-to-end checks against Apache Kafka in a container; skipped where there is no Docker. */
@Testcontainers(disabledWithoutDocker = true)
class NarratorContainerIT {
    @Container
    static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.1.1");

    @Test
    void threeStreamsOfFramesInCorrectCaptionsOut() throws Exception {
        EndToEnd.threeStreamsOfFrames(KAFKA.getBootstrapServers());
    }

    @Test
    void killedMidStreamAndRestartedCaptionsEachWindowExactlyOnce() throws Exception {
        EndToEnd.killAndRestartCaptionsEachWindowExactlyOnce(KAFKA.getBootstrapServers());
    }
}
