package io.narrator.model.xattn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.FeedForward;
import io.narrator.model.nn.NamedBlock;

/**
 * GATED XATTN-DENSE (OpenFlamingo's {@code GatedCrossAttentionBlock}), inserted before an LM layer:
 * <pre>
 *   y = y + tanh(attn_gate) · attn(q = y, kv = visual tokens)
 *   y = y + tanh(ff_gate)   · ffw(y)
 * </pre>
 * Both gates start at 0, so a freshly initialised model computes exactly what the LM computes.
 */
public final class GatedCrossAttentionBlock extends NamedBlock {
    private final MaskedCrossAttention attn;
    private final Parameter attnGate;
    private final FeedForward ff;
    private final Parameter ffGate;

    public GatedCrossAttentionBlock(FlamingoConfig config) {
        attn = child("attn", new MaskedCrossAttention(config));
        attnGate = param("attn_gate", new Shape(1), Initializer.ZEROS);
        ff = child("ff", new FeedForward(config.text().width(), config.crossAttention().ffMult(), 1e-5));
        ffGate = param("ff_gate", new Shape(1), Initializer.ZEROS);
    }

    /** Projects the visual tokens (B, M·V, Dv) to this layer's keys and values, once per request. */
    public MediaKv project(NDArray visual) {
        return attn.project(visual);
    }

    /** (B, T, D) → (B, T, D). */
    public NDArray forward(NDArray x, MediaKv media, MediaMask mask) {
        NDArray a = tanhOf(attnGate, x); // (1)
        x = x.add(attn.forward(x, media, mask).mul(a));
        NDArray f = tanhOf(ffGate, x); // (1)
        return x.add(ff.forward(x).mul(f));
    }

    /** tanh of a gate, created on {@code like}'s manager (never on the model's, where it would pile up). */
    private static NDArray tanhOf(Parameter gate, NDArray like) {
        NDArray t = gate.getArray().tanh();
        t.attach(like.getManager());
        return t;
    }

    /** The current tanh(attn_gate) and tanh(ff_gate), for reports. */
    public float[] gateValues() {
        return new float[] {
            (float) Math.tanh(attnGate.getArray().getFloat(0)), (float) Math.tanh(ffGate.getArray().getFloat(0))
        };
    }
}
