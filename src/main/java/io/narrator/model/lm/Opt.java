package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.NormalInitializer;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.BlockList;
import io.narrator.model.nn.LayerNorm;
import io.narrator.model.nn.Linear;
import io.narrator.model.nn.NamedBlock;
import io.narrator.model.nn.Scalars;
import io.narrator.model.nn.WeightBlock;
import java.util.List;

/**
 * OPT (Zhang et al. 2022) with Hugging Face's {@code OPTForCausalLM} names under {@code model.decoder.*}:
 * <pre>
 *   x = project_in(embed_tokens[ids]) + embed_positions[position + 2]
 *   x = layers.i(x) for every layer                (pre-LN, or post-LN when do_layer_norm_before is false)
 *   logits = project_out(final_layer_norm(x)) · embed_tokensᵀ   (final_layer_norm only pre-LN; projections only
 *                                                               when word_embed_proj_dim ≠ hidden_size)
 * </pre>
 * The head ({@code lm_head.weight}) is tied to {@code embed_tokens}. Positions count the real tokens before a token,
 * so left padding shifts nothing.
 *
 * <p>Shapes: B batch, T new tokens, D hidden width, E token embedding width, W vocabulary.
 */
public final class Opt extends LanguageModel {
    private final FlamingoConfig.Opt c;
    private final Decoder decoder;

    public Opt(FlamingoConfig.Opt c) {
        this.c = c;
        decoder = child("model", new Model(c)).decoder;
    }

    public FlamingoConfig.Opt config() {
        return c;
    }

    /** {@code model.decoder.embed_tokens.weight}, (W, E). */
    @Override
    public Parameter tokenEmbeddings() {
        return decoder.embedTokens.weight();
    }

    @Override
    public String tokenEmbeddingsName() {
        return "model.decoder.embed_tokens.weight";
    }

    @Override
    public NDArray embed(NDArray ids, NDArray positions, NDArray table) {
        NDArray tok = ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).head(); // (B, T, E)
        if (decoder.projectIn != null) tok = decoder.projectIn.forward(tok); // (B, T, D)
        NDArray rows = Scalars.add(positions, FlamingoConfig.Opt.POSITION_OFFSET); // (B, T)
        NDArray pos = rows.getNDArrayInternal()
                .embedding(rows, decoder.embedPositions.weight().getArray(), SparseFormat.DENSE).head(); // (B, T, D)
        return tok.add(pos); // (B, T, D)
    }

    @Override
    public List<OptDecoderLayer> layers() {
        return decoder.layers.blocks();
    }

    @Override
    public NDArray logits(NDArray x, NDArray table) {
        if (decoder.finalLayerNorm != null) x = decoder.finalLayerNorm.forward(x); // (B, T, D)
        if (decoder.projectOut != null) x = decoder.projectOut.forward(x); // (B, T, E)
        return x.getNDArrayInternal().linear(x, table, null).head(); // (B, T, W)
    }

    @Override
    public int maxPositions() {
        return c.positions();
    }

    /** {@code model}: holds the {@code decoder}. */
    static final class Model extends NamedBlock {
        final Decoder decoder;

        Model(FlamingoConfig.Opt c) {
            decoder = child("decoder", new Decoder(c));
        }
    }

    /** {@code embed_tokens}, {@code embed_positions}, {@code project_in}/{@code project_out}, {@code final_layer_norm}, {@code layers.{i}}. */
    static final class Decoder extends NamedBlock {
        final WeightBlock embedTokens;
        final WeightBlock embedPositions;
        final Linear projectIn;
        final Linear projectOut;
        final LayerNorm finalLayerNorm;
        final BlockList<OptDecoderLayer> layers;

        Decoder(FlamingoConfig.Opt c) {
            embedTokens = child("embed_tokens", new WeightBlock(new Shape(c.vocabSize(), c.embedWidth()), new NormalInitializer(0.02f)));
            embedPositions = child("embed_positions", new WeightBlock(
                    new Shape(c.positions() + FlamingoConfig.Opt.POSITION_OFFSET, c.width()), new NormalInitializer(0.02f)));
            projectOut = c.projects() ? child("project_out", Linear.builder().setIn(c.width()).setOut(c.embedWidth()).optBias(false).build()) : null;
            projectIn = c.projects() ? child("project_in", Linear.builder().setIn(c.embedWidth()).setOut(c.width()).optBias(false).build()) : null;
            finalLayerNorm = c.layerNormBefore() ? child("final_layer_norm", new LayerNorm(c.width(), c.layerNormEps())) : null;
            layers = child("layers", new BlockList<>(c.layers(), i -> new OptDecoderLayer(c)));
        }
    }
}
