package io.narrator.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import io.narrator.model.checkpoint.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with global gradient-norm clipping, written out so that its state (first and second moments,
 * step count) can be saved in a checkpoint and a resumed run continues exactly where it stopped.
 * Weight decay is decoupled and applied only to matrices (not to biases, norms, gates or embeddings' rows
 * of one dimension).
 */
public final class AdamW {

    /** Hyperparameters. */
    public record Settings(float beta1, float beta2, float eps, float weightDecay, float clipNorm) {
        public static final Settings DEFAULT = new Settings(0.9f, 0.95f, 1e-8f, 0.01f, 1.0f);
    }

    private final Settings s;
    private final Map<String, Parameter> params;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private final java.util.function.ToDoubleFunction<String> rateScale;
    private int step;

    /** Optimises {@code params} (by checkpoint name); moments live on {@code manager}. */
    public AdamW(Map<String, Parameter> params, Settings settings, NDManager manager) {
        this(params, settings, manager, name -> 1.0);
    }

    /** As above, with a learning-rate multiplier per parameter name (e.g. faster-moving gates). */
    public AdamW(Map<String, Parameter> params, Settings settings, NDManager manager, java.util.function.ToDoubleFunction<String> rateScale) {
        this.rateScale = rateScale;
        this.s = settings;
        this.params = new LinkedHashMap<>(params);
        for (var e : params.entrySet()) {
            m.put(e.getKey(), manager.zeros(e.getValue().getArray().getShape()));
            v.put(e.getKey(), manager.zeros(e.getValue().getArray().getShape()));
        }
    }

    /** Steps taken so far. */
    public int steps() {
        return step;
    }

    /**
     * One update from the gradients collected since the last step (which are then zeroed).
     *
     * @return the gradient norm before clipping
     */
    public float update(float learningRate) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        step++;
        List<NDArray> grads = new ArrayList<>();
        try (NDManager scope = NDManager.subManagerOf(m.values().iterator().next())) {
            NDList squares = new NDList();
            for (var e : params.entrySet()) {
                NDArray g = e.getValue().getArray().getGradient(); // a fresh handle to the gradient: closed with the scope
                g.attach(scope);
                grads.add(g);
                squares.add(g.square().sum());
            }
            double sq = 0;
            for (float x : NDArrays.stack(squares).toFloatArray()) sq += x; // one read instead of one per tensor
            float norm = (float) Math.sqrt(sq);
            float scale = s.clipNorm() > 0 && norm > s.clipNorm() ? s.clipNorm() / (norm + 1e-6f) : 1f;
            float c1 = (float) (1 - Math.pow(s.beta1(), step));
            float c2 = (float) (1 - Math.pow(s.beta2(), step));
            int i = 0;
            for (var e : params.entrySet()) {
                NDArray w = e.getValue().getArray();
                NDArray g = grads.get(i++).mul(scale);
                NDArray mi = m.get(e.getKey());
                NDArray vi = v.get(e.getKey());
                scope.tempAttachAll(w, mi, vi); // derived temporaries land in the scope
                mi.muli(s.beta1()).addi(g.mul(1 - s.beta1()));
                vi.muli(s.beta2()).addi(g.square().muli(1 - s.beta2()));
                NDArray update = mi.div(c1).divi(vi.div(c2).sqrt().addi(s.eps()));
                if (w.getShape().dimension() >= 2 && s.weightDecay() > 0) update.addi(w.mul(s.weightDecay()));
                w.subi(update.muli((float) (learningRate * rateScale.applyAsDouble(e.getKey()))));
            }
            for (NDArray g : grads) g.subi(g); // zero the gradients in place (PyTorch accumulates them)
            return norm;
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** The moments and step count as checkpoint tensors ({@code adam.m.<name>}, {@code adam.v.<name>}, {@code adam.step}). */
    public List<Tensor> state() {
        List<Tensor> out = new ArrayList<>();
        for (String name : params.keySet()) {
            out.add(tensor("adam.m." + name, m.get(name)));
            out.add(tensor("adam.v." + name, v.get(name)));
        }
        out.add(new Tensor("adam.step", new long[] {1}, new float[] {step}));
        return out;
    }

    /** Restores {@link #state()}; every moment must be present with its parameter's shape. */
    public void restore(Map<String, Tensor> tensors) {
        for (String name : params.keySet()) {
            for (String kind : new String[] {"m", "v"}) {
                Tensor t = tensors.get("adam." + kind + "." + name);
                NDArray target = (kind.equals("m") ? m : v).get(name);
                if (t == null) throw new IllegalArgumentException("checkpoint has no optimizer state adam." + kind + "." + name);
                if (!java.util.Arrays.equals(t.shape(), target.getShape().getShape()))
                    throw new IllegalArgumentException("optimizer state adam." + kind + "." + name + " has the wrong shape");
                target.set(t.values());
            }
        }
        Tensor st = tensors.get("adam.step");
        if (st == null) throw new IllegalArgumentException("checkpoint has no optimizer step count");
        step = (int) st.values()[0];
    }

    private static Tensor tensor(String name, NDArray a) {
        return new Tensor(name, a.getShape().getShape(), a.toFloatArray());
    }
}
