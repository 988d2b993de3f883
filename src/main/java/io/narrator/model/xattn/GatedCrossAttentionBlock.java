package io.narrator.model.xattn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.VisualTokens;
import io.narrator.model.nn.FeedForward;
import io.narrator.model.nn.NamedBlock;

/**
 * GATED XATTN-DENSE (OpenFlamingo's {@code GatedCrossAttentionBlock}), inserted before an LM layer:
 * <pre>
 *   y = y + tanh(attn_gate) · attn(q = y, kv = visual tokens)
 *   y = y + tanh(ff_gate)   · ffw(y)
 * </pre>
 * Both gates start at 0, so a freshly initialised model computes exactly what the LM computes. The feed-forward's
 * activation is {@code cross_attention.activation} (GELU in OpenFlamingo, squared ReLU in the paper and flamingo-mini,
 * whose {@code alpha_attn}/{@code alpha_ffw} are these gates).
 */
public final class GatedCrossAttentionBlock extends NamedBlock {
    private final MaskedCrossAttention attn;
    private final Parameter attnGate;
    private final FeedForward ff;
    private final Parameter ffGate;

    public GatedCrossAttentionBlock(FlamingoConfig config) {
        attn = child("attn", new MaskedCrossAttention(config));
        attnGate = param("attn_gate", new Shape(1), Initializer.ZEROS);
        ff = child("ff", new FeedForward(config.text().width(), config.crossAttention().ffMult(), 1e-5, config.crossAttention().activation()));
        ffGate = param("ff_gate", new Shape(1), Initializer.ZEROS);
    }

    /**
     * Prepares the visual tokens of a batch, once: this layer's keys and values, and its gates through tanh
     * (created on the tokens' manager, never on the model's, where they would pile up).
     */
    public PreparedMedia prepare(VisualTokens visual) {
        NDList kv = attn.project(visual); // (B, H, hd, M·V), (B, H, M·V, hd)
        return new PreparedMedia(kv.get(0), kv.get(1), tanhOf(attnGate, visual.items()), tanhOf(ffGate, visual.items()));
    }

    /** (B, T, D) → (B, T, D). */
    public NDArray forward(NDArray x, PreparedMedia media, MediaMask mask) {
        x = x.add(attn.forward(x, media, mask).mul(media.attnGate()));
        return x.add(ff.forward(x).mul(media.ffGate()));
    }

    private static NDArray tanhOf(Parameter gate, NDArray like) {
        NDArray t = gate.getArray().tanh(); // (1)
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
