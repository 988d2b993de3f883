package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.avro.state.StoredFrame;
import java.awt.image.BufferedImage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class NarrationEngineTest {

    /** Blocks in its first batch until released, so that later clips pile up in the queue. */
    static class GatedNarration implements Narration {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        volatile Throwable failWith;

        @Override
        public ModelInfo modelInfo() {
            return new ModelInfo("gated", "1", 8, 8, 256);
        }

        @Override
        public int promptTokens(List<String> exampleTexts) {
            return 2 + 4 * exampleTexts.size();
        }

        @Override
        public float[] visionInput(BufferedImage frame) {
            return new float[1];
        }

        @Override
        public List<byte[]> encodeVisionInputs(List<float[]> inputs) {
            return inputs.stream().map(f -> new byte[1]).toList();
        }

        @Override
        public void checkExampleText(String text) {}

        @Override
        public List<ClipNarration> narrate(List<ClipRequest> clips) {
            entered.countDown();
            try {
                if (!release.await(60, java.util.concurrent.TimeUnit.SECONDS)) throw new IllegalStateException("the test never released the batch");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            batchSizes.add(clips.size());
            if (failWith instanceof RuntimeException e) throw e;
            if (failWith instanceof Error e) throw e;
            return clips.stream().map(c -> new ClipNarration("clip of " + c.streamId(), -1, 2, null)).toList();
        }

        /** These tests set no alert rules: a question is refused. */
        @Override
        public QuestionTokens questionTokens(String text, List<String> answers) {
            throw new IllegalArgumentException("the gated narration takes no questions");
        }

        @Override
        public List<QuestionScores> answer(List<QuestionRequest> questions) {
            return questions.stream().map(q -> QuestionScores.failed("the gated narration takes no questions")).toList();
        }

        @Override
        public void close() {}
    }

    private static NarrationJob job(String stream, long index, long closedAt, CompletionQueue queue) {
        StoredFrame frame = new StoredFrame(0L, 0L, null, java.nio.ByteBuffer.wrap(new byte[1]), 0L, 0L);
        return new NarrationJob(stream, index, List.of(frame), new NarrationJob.Prompt(null, null, null, null), closedAt, queue);
    }

    private static List<NarrationCompletion> drain(CompletionQueue queue) {
        List<NarrationCompletion> out = new ArrayList<>();
        NarrationCompletion c;
        while ((c = queue.poll()) != null) out.add(c);
        return out;
    }

    @Test
    void batchesClipsOfAllStreamsUpToBatchMax() throws Exception {
        GatedNarration narration = new GatedNarration();
        NarratorMetrics metrics = NarratorMetrics.inMemory();
        try (NarrationEngine engine = NarrationEngine.start(narration, new NarrationEngine.Settings(4, 0, 100, 60_000), metrics)) {
            CompletionQueue queue = new CompletionQueue();
            long now = engine.nowMillis();
            engine.submit(job("a", 0, now, queue));
            assertThat(narration.entered.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("the first batch is in narration").isTrue();
            for (int i = 0; i < 6; i++) engine.submit(job("s" + i % 3, i, now, queue));
            narration.release.countDown();
            assertThat(engine.awaitIdle(Duration.ofSeconds(30))).isTrue();
            assertThat(narration.batchSizes).containsExactly(1, 4, 2);
            List<NarrationCompletion> done = drain(queue);
            assertThat(done).extracting(c -> c.job().streamId() + c.job().clipIndex())
                    .containsExactly("a0", "s00", "s11", "s22", "s03", "s14", "s25");
            assertThat(done).allMatch(c -> c.result().ok());
            assertThat(metrics.registry().find("narrator.batch.size").summary().count()).isEqualTo(3);
        }
    }

    @Test
    void aFullQueueCompletesClipsAtOnceWithAnError() throws Exception {
        GatedNarration narration = new GatedNarration();
        NarratorMetrics metrics = NarratorMetrics.inMemory();
        try (NarrationEngine engine = NarrationEngine.start(narration, new NarrationEngine.Settings(8, 0, 2, 60_000), metrics)) {
            CompletionQueue queue = new CompletionQueue();
            engine.submit(job("a", 0, engine.nowMillis(), queue));
            assertThat(narration.entered.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("the first batch is in narration").isTrue();
            for (int i = 1; i <= 3; i++) engine.submit(job("a", i, engine.nowMillis(), queue));
            List<NarrationCompletion> rejected = drain(queue);
            assertThat(rejected).extracting(c -> c.job().clipIndex()).containsExactly(3L);
            assertThat(rejected.get(0).result().error()).isEqualTo("skipped: narration queue is full (queue.capacity=2)");
            narration.release.countDown();
            assertThat(engine.awaitIdle(Duration.ofSeconds(30))).isTrue();
            assertThat(drain(queue)).extracting(c -> c.job().clipIndex()).containsExactly(0L, 1L, 2L);
            assertThat(metrics.count("narrator.clips.skipped", "reason", "queue_full")).isEqualTo(1);
        }
    }

    @Test
    void skipsClipsBeyondMaxLagAndDropsThoseOfClosedTasks() throws Exception {
        GatedNarration narration = new GatedNarration();
        narration.release.countDown();
        AtomicLong clock = new AtomicLong(1_000_000);
        NarratorMetrics metrics = NarratorMetrics.inMemory();
        try (NarrationEngine engine = NarrationEngine.start(narration, new NarrationEngine.Settings(8, 0, 10, 1000), metrics, clock::get)) {
            CompletionQueue open = new CompletionQueue();
            CompletionQueue closed = new CompletionQueue();
            closed.close();
            engine.submit(job("late", 0, 1_000_000 - 1500, open));
            engine.submit(job("gone", 0, 1_000_000, closed));
            assertThat(engine.awaitIdle(Duration.ofSeconds(30))).isTrue();
            List<NarrationCompletion> done = drain(open);
            assertThat(done).hasSize(1);
            assertThat(done.get(0).result().error()).isEqualTo("skipped: narration is 1500 ms behind, max.lag.ms=1000");
            assertThat(narration.batchSizes).isEmpty();
            assertThat(metrics.count("narrator.completions.dropped", "reason", "task_closed")).isEqualTo(1);
        }
    }

    @Test
    void aFailingBatchCompletesEachClipWithTheError() throws Exception {
        GatedNarration narration = new GatedNarration();
        narration.failWith = new IllegalStateException("out of memory on device");
        narration.release.countDown();
        try (NarrationEngine engine = NarrationEngine.start(narration, new NarrationEngine.Settings(8, 0, 10, 60_000), NarratorMetrics.inMemory())) {
            CompletionQueue queue = new CompletionQueue();
            engine.submit(job("a", 0, engine.nowMillis(), queue));
            assertThat(engine.awaitIdle(Duration.ofSeconds(30))).isTrue();
            assertThat(drain(queue)).extracting(c -> c.result().error()).containsExactly("narration failed: out of memory on device");
        }
    }

    @Test
    void anErrorFailsEveryClipOfItsBatchAndStopsTheEngineVisibly() throws Exception {
        GatedNarration narration = new GatedNarration();
        narration.failWith = new StackOverflowError("deep in the model");
        NarratorMetrics metrics = NarratorMetrics.inMemory();
        try (NarrationEngine engine = NarrationEngine.start(narration, new NarrationEngine.Settings(8, 0, 10, 60_000), metrics)) {
            List<Throwable> told = new CopyOnWriteArrayList<>();
            engine.onFatal(told::add);
            assertThat(metrics.registry().get("narrator.engine.threads.alive").gauge().value()).isEqualTo(1);
            assertThat(metrics.registry().get("narrator.engine.failed").gauge().value()).isZero();
            CompletionQueue queue = new CompletionQueue();
            engine.submit(job("a", 0, engine.nowMillis(), queue));
            engine.submit(job("a", 1, engine.nowMillis(), queue)); // narrated in the same batch
            narration.entered.await();
            engine.submit(job("a", 2, engine.nowMillis(), queue)); // waits in the queue behind the failing batch
            narration.release.countDown();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (engine.liveThreads() > 0 && System.nanoTime() < deadline) Thread.sleep(10);

            assertThat(engine.liveThreads()).isZero();
            assertThat(engine.failure()).containsSame(narration.failWith);
            assertThat(told).containsExactly(narration.failWith);
            List<NarrationCompletion> done = drain(queue);
            assertThat(done).extracting(c -> c.job().clipIndex()).containsExactlyElementsOf(
                    narration.batchSizes.get(0) == 2 ? List.of(0L, 1L) : List.of(0L));
            assertThat(done).extracting(c -> c.result().error()).containsOnly("narration engine failed: java.lang.StackOverflowError: deep in the model");
            assertThat(metrics.registry().get("narrator.engine.threads.alive").gauge().value()).isZero();
            assertThat(metrics.registry().get("narrator.engine.failed").gauge().value()).isEqualTo(1);
            assertThat(metrics.count("narrator.engine.batch.failures", "kind", "error")).isEqualTo(1);

            // later clips are not narrated (they stay pending in their processors' state, for after a restart)
            engine.submit(job("a", 3, engine.nowMillis(), queue));
            assertThat(drain(queue)).isEmpty();
            assertThat(metrics.count("narrator.completions.dropped", "reason", "engine_failed")).isEqualTo(1);
            List<Throwable> late = new CopyOnWriteArrayList<>();
            engine.onFatal(late::add);
            assertThat(late).containsExactly(narration.failWith);
        }
    }

    @Test
    void healthGaugesShowLiveThreadsAndTheLastBatch() throws Exception {
        GatedNarration narration = new GatedNarration();
        narration.release.countDown();
        AtomicLong clock = new AtomicLong(1_700_000_000_000L);
        NarratorMetrics metrics = NarratorMetrics.inMemory();
        try (NarrationEngine engine = NarrationEngine.start(narration, new NarrationEngine.Settings(1, 0, 10, 60_000, 2, 16, 100, 2048), metrics,
                clock::get)) {
            assertThat(metrics.registry().get("narrator.engine.threads.alive").gauge().value()).isEqualTo(2);
            assertThat(metrics.registry().get("narrator.engine.last.batch.timestamp").gauge().value()).isZero();
            CompletionQueue queue = new CompletionQueue();
            engine.submit(job("a", 0, clock.get(), queue));
            assertThat(engine.awaitIdle(Duration.ofSeconds(30))).isTrue();
            assertThat(metrics.registry().get("narrator.engine.last.batch.timestamp").gauge().value()).isEqualTo(1_700_000_000.0);
            assertThat(engine.longestBatchMillis()).isZero();
            assertThat(engine.failure()).isEmpty();
        }
    }

    @Test
    void severalThreadsNarrateSeveralBatchesAtOnce() throws Exception {
        CountDownLatch bothInside = new CountDownLatch(2);
        GatedNarration narration = new GatedNarration() {
            @Override
            public List<ClipNarration> narrate(List<ClipRequest> clips) {
                bothInside.countDown();
                try {
                    bothInside.await(30, java.util.concurrent.TimeUnit.SECONDS); // returns at once only if the other batch is running too
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.narrate(clips);
            }
        };
        narration.release.countDown();
        try (NarrationEngine engine = NarrationEngine.start(narration, new NarrationEngine.Settings(1, 0, 10, 60_000, 2, 16, 100, 2048), NarratorMetrics.inMemory())) {
            CompletionQueue queue = new CompletionQueue();
            engine.submit(job("a", 0, engine.nowMillis(), queue));
            engine.submit(job("b", 0, engine.nowMillis(), queue));
            assertThat(bothInside.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("two batches in narration at the same time").isTrue();
            assertThat(engine.awaitIdle(Duration.ofSeconds(30))).isTrue();
            assertThat(drain(queue)).extracting(c -> c.job().streamId()).containsExactlyInAnyOrder("a", "b");
        }
    }

    @Test
    void rejectsNonsenseSettings() {
        assertThatThrownBy(() -> new NarrationEngine.Settings(0, 0, 1, 1)).hasMessage("batch.max must be >= 1, got 0");
        assertThatThrownBy(() -> new NarrationEngine.Settings(1, -1, 1, 1)).hasMessage("batch.wait.ms must be >= 0, got -1");
        assertThatThrownBy(() -> new NarrationEngine.Settings(1, 0, 1, 1, 0, 16, 100, 2048)).hasMessage("narration.threads must be >= 1, got 0");
        assertThatThrownBy(() -> new NarrationEngine.Settings(1, 0, 1, 1, 1, 16, 100, 0)).hasMessage("vision.cache.frames must be >= 1, got 0");
    }
}
