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
 * GPT-2 (learned positions, pre-LN blocks, tanh-GELU MLP, output head tied to the token embeddings) with Hugging
 * Face names under {@code transformer.*}. Flamingo interleaves its cross-attention blocks between {@link #blocks()};
 * {@link #forward} runs the bare LM.
 *
 * <p>Shapes: B batch, T new tokens, S cached tokens, D width, W vocabulary.
 */
public final class Gpt2 extends LanguageModel {
    private final FlamingoConfig.Gpt2 c;
    private final Transformer transformer;

    public Gpt2(FlamingoConfig.Gpt2 c) {
        this.c = c;
        transformer = child("transformer", new Transformer(c));
    }

    /** The token embedding table {@code transformer.wte.weight}, (W, D). */
    @Override
    public Parameter tokenEmbeddings() {
        return transformer.wte.weight();
    }

    @Override
    public String tokenEmbeddingsName() {
        return "transformer.wte.weight";
    }

    public List<Gpt2Block> blocks() {
        return transformer.h.blocks();
    }

    @Override
    public List<Gpt2Block> layers() {
        return blocks();
    }

    public FlamingoConfig.Gpt2 config() {
        return c;
    }

    /** Token plus position embeddings (both D wide): (B, T) ids and positions → (B, T, D). */
    @Override
    public NDArray embed(NDArray ids, NDArray positions, NDArray table) {
        NDArray tok = ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).head(); // (B, T, D)
        NDArray pos = positions.getNDArrayInternal()
                .embedding(positions, transformer.wpe.weight().getArray(), SparseFormat.DENSE).head(); // (B, T, D)
        return tok.add(pos);
    }

    /** Final LayerNorm then the head tied to {@code table} (W, D): (B, T, D) → (B, T, W) logits. */
    @Override
    public NDArray logits(NDArray x, NDArray table) {
        NDArray h = transformer.lnF.forward(x); // (B, T, D)
        return h.getNDArrayInternal().linear(h, table, null).head(); // (B, T, W)
    }

    /** The bare LM over a full batch without caching: (B, T) ids and padding mask → (B, T, W) logits. */
    @Override
    public NDArray forward(NDArray ids, int[][] mask) {
        return logits(blocksOutput(ids, mask), tokenEmbeddings().getArray()); // (B, T, W)
    }

    /** The bare LM's hidden states after the final LayerNorm, (B, T, D): a text encoder's features. */
    public NDArray hidden(NDArray ids, int[][] mask) {
        return transformer.lnF.forward(blocksOutput(ids, mask)); // (B, T, D)
    }

    private NDArray blocksOutput(NDArray ids, int[][] mask) {
        NDManager m = ids.getManager();
        Positions p = Positions.of(mask, null);
        NDArray x = embed(ids, p.positions(m), tokenEmbeddings().getArray()); // (B, T, D)
        SelfAttentionInputs in = selfAttention(p, m, x.getDataType()); // bias (B, 1, T, T)
        for (Gpt2Block block : blocks()) x = block.forward(x, in, null);
        return x; // (B, T, D)
    }

    /** Max sequence length the position table covers. */
    @Override
    public int maxPositions() {
        return c.positions();
    }

    /** {@code wte}, {@code wpe}, {@code h.{i}}, {@code ln_f}. */
    static final class Transformer extends NamedBlock {
        final WeightBlock wte;
        final WeightBlock wpe;
        final BlockList<Gpt2Block> h;
        final LayerNorm lnF;

        Transformer(FlamingoConfig.Gpt2 c) {
            wte = child("wte", new WeightBlock(new Shape(c.vocabSize(), c.width()), new NormalInitializer(0.02f)));
            wpe = child("wpe", new WeightBlock(new Shape(c.positions(), c.width()), new NormalInitializer(0.01f)));
            h = child("h", new BlockList<>(c.layers(), i -> new Gpt2Block(c)));
            lnF = child("ln_f", new LayerNorm(c.width(), c.layerNormEps()));
        }
    }

    /** Unused by this block; kept so DJL shape inference reports (B, T, W). */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(c.vocabSize())};
    }

    static NDArray int64(NDManager m, long[] values, Shape shape) {
        return m.create(values, shape).toType(DataType.INT64, false);
    }
}
