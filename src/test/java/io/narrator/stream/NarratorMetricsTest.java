package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.narrator.ingest.FpsSampler;
import org.junit.jupiter.api.Test;

class NarratorMetricsTest {

    @Test
    void everyCounterAndLatencyExistsAtZeroForEachTagValueWithADescription() {
        NarratorMetrics metrics = NarratorMetrics.inMemory();
        for (NarratorMetrics.CounterSpec spec : NarratorMetrics.COUNTERS) {
            if (spec.tag() == null) {
                assertThat(metrics.registry().get(spec.name()).counter().count()).as(spec.name()).isZero();
            } else {
                assertThat(metrics.registry().get(spec.name()).counters()).as(spec.name()).hasSize(spec.values().size());
                for (String value : spec.values())
                    assertThat(metrics.registry().get(spec.name()).tag(spec.tag(), value).counter().count()).as(spec.name() + " " + value).isZero();
            }
        }
        assertThat(metrics.registry().get("narrator.dead.letters").counters()).hasSize(DeadLetterReason.values().length);
        assertThat(metrics.registry().get("narrator.latency").timers()).hasSize(NarratorMetrics.LATENCY_STAGES.size());
        for (Meter meter : metrics.registry().getMeters())
            assertThat(meter.getId().getDescription()).as(meter.getId().getName()).isNotBlank();
    }

    @Test
    void countsGoToThePreRegisteredCountersAndAnUndeclaredValueIsAnError() {
        NarratorMetrics metrics = NarratorMetrics.inMemory();
        metrics.deadLetter(DeadLetterReason.NOT_AVRO);
        metrics.framesDropped(FpsSampler.Decision.DROP_LATE, 3);
        metrics.clipSkipped("queue_full");
        metrics.latency("total", 1500);
        assertThat(metrics.count("narrator.dead.letters", "reason", "NOT_AVRO")).isEqualTo(1);
        assertThat(metrics.count("narrator.frames.dropped", "reason", "drop_late")).isEqualTo(3);
        assertThat(metrics.count("narrator.clips.skipped", "reason", "queue_full")).isEqualTo(1);
        assertThat(metrics.registry().get("narrator.latency").tag("stage", "total").timer().totalTime(java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(1.5);
        assertThat(metrics.registry().get("narrator.clips.skipped").counters()).extracting(Counter::count).containsOnly(0.0, 1.0).hasSize(4);
        assertThatThrownBy(() -> metrics.clipSkipped("bored")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("counter narrator.clips.skipped has no tag value 'bored': add it to NarratorMetrics.COUNTERS");
        assertThatThrownBy(() -> metrics.latency("dreaming", 1)).hasMessageContaining("no latency stage 'dreaming'");
    }

    @Test
    void theEngineGaugesIncludeItsQueueDepth() {
        NarratorMetrics metrics = NarratorMetrics.inMemory();
        try (NarrationEngine engine = NarrationEngine.start(new FakeNarration(), new NarrationEngine.Settings(4, 0, 16, 60_000), metrics)) {
            assertThat(metrics.registry().get("narrator.engine.queue.depth").gauge().value()).isZero();
            assertThat(metrics.registry().get("narrator.narration.lag").gauge().getId().getBaseUnit()).isEqualTo("seconds");
            metrics.lag(2500);
            assertThat(metrics.registry().get("narrator.narration.lag").gauge().value()).isEqualTo(2.5);
        }
    }
}
