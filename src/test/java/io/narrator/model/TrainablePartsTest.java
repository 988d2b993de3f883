package io.narrator.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer-facing API: freeze the LM and vision encoder, train the rest, frozen weights stay bit-identical. */
class TrainablePartsTest {
    @TempDir Path tmp;

    @Test
    void anOptimizerStepChangesOnlyTheTrainableParts() throws Exception {
        try (FlamingoModel model = TinyModels.random(tmp, 9)) {
            Flamingo f = model.block();
            Map<String, Parameter> trainable = f.trainOnly(Set.of("perceiver", "cross_attention", "special_tokens"));
            assertThat(trainable.keySet()).allMatch(n -> n.startsWith("perceiver.") || n.startsWith("gated_cross_attn_layers.")
                    || n.equals("special_token_embeddings"));
            Map<String, float[]> before = new HashMap<>();
            f.namedParameters().forEach((n, p) -> before.put(n, p.getArray().toFloatArray()));

            Optimizer adam = Optimizer.adamW().optLearningRateTracker(Tracker.fixed(1e-2f)).optWeightDecays(0.01f).build();
            try (NDManager m = model.manager().newSubManager()) {
                long[] ids = model.tokenizer().encode(model.prompt(List.of("a red circle")) + " two blue squares<|endofchunk|>");
                NDArray input = m.create(ids, new Shape(1, ids.length)).toType(DataType.INT64, false);
                int[][] mask = new int[1][ids.length];
                java.util.Arrays.fill(mask[0], 1);
                int p = model.config().vision().tokensPerFrame();
                int d = model.config().visualDim();
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray frames = m.randomNormal(new Shape(2, 3, p, d)); // 2 media of 3 frames
                    NDArray visual = f.resample(frames).expandDims(0); // (1, 2, V, Dv)
                    FlamingoState state = f.start(m, visual, false);
                    NDArray logits = f.forward(input, mask, state); // (1, T, W)
                    NDArray targets = input.get(":, 1:");
                    NDArray loss = logits.get(":, :-1, :").logSoftmax(-1).gather(targets.expandDims(-1), 2).mean().neg();
                    churnNativeMemory(); // freed buffers get reused: any tensor autograd kept without owning it would now hold garbage
                    gc.backward(loss);
                }
                for (var e : trainable.entrySet()) {
                    NDArray g = e.getValue().getArray().getGradient();
                    assertThat(g.isNaN().any().getBoolean() || g.isInfinite().any().getBoolean()).as("gradient of " + e.getKey()).isFalse();
                }
                for (Parameter param : trainable.values()) adam.update(param.getId(), param.getArray(), param.getArray().getGradient());
            }
            int changed = 0;
            for (var e : f.namedParameters().entrySet()) {
                float[] now = e.getValue().getArray().toFloatArray();
                if (trainable.containsKey(e.getKey())) {
                    if (!java.util.Arrays.equals(now, before.get(e.getKey()))) changed++;
                } else {
                    assertThat(now).as(e.getKey() + " is frozen").containsExactly(before.get(e.getKey()));
                }
            }
            assertThat(changed).as("trainable tensors that moved").isGreaterThan(trainable.size() / 2);
            assertThat(f.namedParameters().get("gated_cross_attn_layers.0.attn_gate").getArray().getFloat(0)).isNotEqualTo(0f);
        }
    }

    private static void churnNativeMemory() {
        System.gc();
        for (int i = 0; i < 2000; i++) java.nio.ByteBuffer.allocateDirect(4096).putFloat(0, Float.NaN);
        System.gc();
    }

    @Test
    void unknownPartsAreRejected() throws Exception {
        try (FlamingoModel model = TinyModels.random(tmp, 1)) {
            assertThatThrownBy(() -> model.block().trainOnly(Set.of("decoder"))).hasMessageContaining("unknown model part decoder");
        }
    }
}
