package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.NormalInitializer;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.BlockList;
import io.narrator.model.nn.LayerNorm;
import io.narrator.model.nn.NamedBlock;
import io.narrator.model.nn.WeightBlock;
import java.util.List;

/**
 * GPT-NeoX (EleutherAI's Pythia, Together's RedPajama-INCITE) with Hugging Face's {@code GPTNeoXForCausalLM} names:
 * <pre>
 *   x = gpt_neox.embed_in[ids]                   (no position embeddings: rotary ones in every attention)
 *   x = gpt_neox.layers.i(x) for every layer     (pre-LN; attention and feed-forward in parallel or in sequence)
 *   logits = embed_out(gpt_neox.final_layer_norm(x))   (an output head of its own, not tied)
 * </pre>
 * The rotary angles follow real-token positions, so left padding shifts nothing.
 *
 * <p>Shapes: B batch, T new tokens, D width, W vocabulary.
 */
public final class GptNeox extends LanguageModel {
    private final FlamingoConfig.GptNeox c;
    private final Model model;
    private final WeightBlock embedOut;
    private final Rotary rotary;

    public GptNeox(FlamingoConfig.GptNeox c) {
        this.c = c;
        model = child("gpt_neox", new Model(c));
        embedOut = child("embed_out", new WeightBlock(new Shape(c.vocabSize(), c.width()), new NormalInitializer(0.02f)));
        rotary = model.rotary;
    }

    public FlamingoConfig.GptNeox config() {
        return c;
    }

    /** {@code gpt_neox.embed_in.weight}, (W, D). */
    @Override
    public Parameter tokenEmbeddings() {
        return model.embedIn.weight();
    }

    @Override
    public String tokenEmbeddingsName() {
        return "gpt_neox.embed_in.weight";
    }

    /** The output head {@code embed_out.weight}, (W, D). */
    public Parameter outputEmbeddings() {
        return embedOut.weight();
    }

    /** Token embeddings only: positions act through the rotary embeddings. (B, T) → (B, T, D). */
    @Override
    public NDArray embed(NDArray ids, NDArray positions, NDArray table) {
        return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).head(); // (B, T, D)
    }

    /** Causal and padding masking, and the rotary angles of the new tokens' real-token positions. */
    @Override
    public SelfAttentionInputs selfAttention(Positions p, NDManager m, DataType dtype) {
        return new SelfAttentionInputs(p.selfAttentionBias(m, dtype), rotary.angles(p.ofTokens(), m, dtype));
    }

    @Override
    public List<GptNeoxLayer> layers() {
        return model.layers.blocks();
    }

    /** {@code final_layer_norm} then {@code embed_out}; {@code table} (the input embeddings) is not the head here. */
    @Override
    public NDArray logits(NDArray x, NDArray table) {
        NDArray h = model.finalLayerNorm.forward(x); // (B, T, D)
        return h.getNDArrayInternal().linear(h, embedOut.weight().getArray(), null).head(); // (B, T, W)
    }

    @Override
    public int maxPositions() {
        return c.positions();
    }

    /** {@code gpt_neox}: {@code embed_in}, {@code layers.{i}}, {@code final_layer_norm}. */
    static final class Model extends NamedBlock {
        final WeightBlock embedIn;
        final BlockList<GptNeoxLayer> layers;
        final LayerNorm finalLayerNorm;
        final Rotary rotary;

        Model(FlamingoConfig.GptNeox c) {
            embedIn = child("embed_in", new WeightBlock(new Shape(c.vocabSize(), c.width()), new NormalInitializer(0.02f)));
            rotary = new Rotary(c.rotaryDims(), c.rotaryBase());
            layers = child("layers", new BlockList<>(c.layers(), i -> new GptNeoxLayer(c, rotary)));
            finalLayerNorm = child("final_layer_norm", new LayerNorm(c.width(), c.layerNormEps()));
        }
    }
}
