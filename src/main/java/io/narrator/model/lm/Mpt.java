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
 * MPT (MosaicML's MPT-7B, and MosaicGPT-1B under MPT's names) with Hugging Face's {@code MPTForCausalLM} names under
 * {@code transformer.*}:
 * <pre>
 *   x = wte[ids]                                   (no position embeddings: ALiBi in every attention)
 *   x = blocks.i(x) for every block                (pre-LN: x + attn(norm_1(x)), then x + ffn(norm_2(x)))
 *   logits = norm_f(x) · wteᵀ                      (the head tied to the token embeddings)
 * </pre>
 * With {@code no_bias} nothing has a bias, the LayerNorms included.
 *
 * <p>Shapes: B batch, T new tokens, D width, W vocabulary.
 */
public final class Mpt extends LanguageModel {
    private final FlamingoConfig.Mpt c;
    private final Transformer transformer;
    private final Alibi alibi;

    public Mpt(FlamingoConfig.Mpt c) {
        this.c = c;
        transformer = child("transformer", new Transformer(c));
        alibi = new Alibi(c.heads(), c.alibiBiasMax());
    }

    public FlamingoConfig.Mpt config() {
        return c;
    }

    /** {@code transformer.wte.weight}, (W, D). */
    @Override
    public Parameter tokenEmbeddings() {
        return transformer.wte.weight();
    }

    @Override
    public String tokenEmbeddingsName() {
        return "transformer.wte.weight";
    }

    /** Token embeddings only: positions act through ALiBi. (B, T) → (B, T, D). */
    @Override
    public NDArray embed(NDArray ids, NDArray positions, NDArray table) {
        return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).head(); // (B, T, D)
    }

    /** Causal and padding masking plus ALiBi's per-head distance penalties: (B, H, T, S+T). */
    @Override
    public SelfAttentionInputs selfAttention(Positions p, NDManager m, DataType dtype) {
        return SelfAttentionInputs.of(alibi.bias(p, m, dtype));
    }

    @Override
    public List<MptBlock> layers() {
        return transformer.blocks.blocks();
    }

    @Override
    public NDArray logits(NDArray x, NDArray table) {
        NDArray h = transformer.normF.forward(x); // (B, T, D)
        return h.getNDArrayInternal().linear(h, table, null).head(); // (B, T, W)
    }

    @Override
    public int maxPositions() {
        return c.positions();
    }

    /** {@code wte}, {@code blocks.{i}}, {@code norm_f}. */
    static final class Transformer extends NamedBlock {
        final WeightBlock wte;
        final BlockList<MptBlock> blocks;
        final LayerNorm normF;

        Transformer(FlamingoConfig.Mpt c) {
            wte = child("wte", new WeightBlock(new Shape(c.vocabSize(), c.width()), new NormalInitializer(0.02f)));
            blocks = child("blocks", new BlockList<>(c.layers(), i -> new MptBlock(c)));
            normF = child("norm_f", new LayerNorm(c.width(), c.layerNormEps(), !c.noBias()));
        }
    }
}
