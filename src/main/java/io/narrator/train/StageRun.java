package io.narrator.train;

import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.narrator.model.checkpoint.SafeTensors;
import io.narrator.model.checkpoint.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the steps of one training stage with checkpoints: every {@code checkpointEvery} steps the trainable
 * parameters, the optimizer state and the loss history are written to the stage directory, and a later run
 * with the same settings resumes from there. The batch of step s depends only on (seed, s), so a resumed
 * run computes exactly what an uninterrupted one would.
 */
final class StageRun {
    static final String CHECKPOINT = "checkpoint.safetensors";
    static final String STATE = "state.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What identifies a run: a checkpoint of another plan cannot be resumed. */
    record Plan(String stage, Path dir, long seed, int steps, int checkpointEvery, String settings) {}

    /** The progress saved beside a checkpoint. */
    record State(String stage, long seed, int steps, String settings, int completed, List<Float> losses) {}

    /** One training step: forward, backward, optimizer update; returns the loss. */
    @FunctionalInterface
    interface Step {
        float run(int step);
    }

    private StageRun() {}

    /** Runs (or resumes) the plan; returns the loss of every step. */
    static List<Float> run(Plan plan, Map<String, Parameter> trainable, AdamW optimizer, Step step, TrainingListener listener)
            throws IOException {
        Files.createDirectories(plan.dir());
        List<Float> losses = new ArrayList<>();
        int start = 0;
        Path statePath = plan.dir().resolve(STATE);
        if (Files.exists(statePath)) {
            State saved = JSON.readValue(statePath.toFile(), State.class);
            if (!saved.stage().equals(plan.stage()) || saved.seed() != plan.seed() || saved.steps() != plan.steps()
                    || !saved.settings().equals(plan.settings()))
                throw new IOException(plan.dir() + " holds a " + saved.stage() + " run with seed " + saved.seed() + " and "
                        + saved.steps() + " steps (" + saved.settings() + "); this run asks for seed " + plan.seed() + " and "
                        + plan.steps() + " steps (" + plan.settings() + "). Resume with the same settings or use a new --out directory.");
            Map<String, Tensor> tensors = SafeTensors.read(plan.dir().resolve(CHECKPOINT));
            restore(trainable, tensors, plan.dir());
            optimizer.restore(tensors);
            losses.addAll(saved.losses());
            start = saved.completed();
            listener.message(plan.stage(), "resuming at step " + start + " of " + plan.steps());
        }
        listener.started(plan.stage(), start, plan.steps());
        for (int s = start; s < plan.steps(); s++) {
            float loss = step.run(s);
            if (!Float.isFinite(loss)) throw new IllegalStateException(plan.stage() + " diverged at step " + s + " (loss " + loss + ")");
            losses.add(loss);
            listener.step(plan.stage(), s + 1, loss);
            if ((s + 1) % plan.checkpointEvery() == 0 || s + 1 == plan.steps()) save(plan, trainable, optimizer, losses, s + 1);
        }
        listener.finished(plan.stage());
        return losses;
    }

    private static void save(Plan plan, Map<String, Parameter> trainable, AdamW optimizer, List<Float> losses, int completed)
            throws IOException {
        List<Tensor> tensors = new ArrayList<>();
        trainable.forEach((name, p) -> tensors.add(new Tensor(name, p.getArray().getShape().getShape(), p.getArray().toFloatArray())));
        tensors.addAll(optimizer.state());
        SafeTensors.write(plan.dir().resolve(CHECKPOINT), tensors, SafeTensors.Precision.F32, Map.of("stage", plan.stage()));
        Path tmp = plan.dir().resolve(STATE + ".tmp");
        JSON.writeValue(tmp.toFile(), new State(plan.stage(), plan.seed(), plan.steps(), plan.settings(), completed, losses));
        Files.move(tmp, plan.dir().resolve(STATE), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static void restore(Map<String, Parameter> trainable, Map<String, Tensor> tensors, Path dir) throws IOException {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (var e : trainable.entrySet()) {
                Tensor t = tensors.get(e.getKey());
                if (t == null) throw new IOException(dir.resolve(CHECKPOINT) + " has no tensor " + e.getKey() + "; it was not written by this stage");
                if (!java.util.Arrays.equals(t.shape(), e.getValue().getArray().getShape().getShape()))
                    throw new IOException(dir.resolve(CHECKPOINT) + ": tensor " + e.getKey() + " has another shape than the model's");
                e.getValue().getArray().set(t.values());
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /**
     * One gradient step: the loss computed on a fresh sub-manager of {@code parent} (freed afterwards), its
     * gradients, then the optimizer update at {@code rate}. Returns the loss.
     */
    static float descend(ai.djl.ndarray.NDManager parent, AdamW optimizer, float rate,
            java.util.function.Function<ai.djl.ndarray.NDManager, ai.djl.ndarray.NDArray> loss) {
        float value;
        try (ai.djl.ndarray.NDManager m = parent.newSubManager();
                ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            ai.djl.ndarray.NDArray l = loss.apply(m);
            gc.backward(l);
            value = l.getFloat();
        }
        optimizer.update(rate);
        return value;
    }

    /** A number as a stage's settings description writes it: at most six significant digits, no trailing zeros. */
    static String plain(double x) {
        return java.math.BigDecimal.valueOf(x).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }

    /** Mixes seed, stage and step into the seed of that step's batch. */
    static long stepSeed(long seed, String stage, int step) {
        long h = seed * 0x9E3779B97F4A7C15L + stage.hashCode();
        h ^= (step + 1L) * 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 31;
        return h * 0x94D049BB133111EBL;
    }
}
