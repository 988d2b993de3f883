package io.narrator.model.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.NormalInitializer;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.Activations;
import io.narrator.model.nn.BlockList;
import io.narrator.model.nn.LayerNorm;
import io.narrator.model.nn.NamedBlock;
import io.narrator.model.nn.WeightBlock;

/**
 * The frozen vision encoder: a CLIP ViT with Hugging Face {@code CLIPVisionModel} tensor names
 * (this block is {@code vision_model}; open_clip's names map onto it on import). Each frame is encoded independently;
 * its features are, as {@code vision.features} says, the patch tokens after the final LayerNorm (the class token
 * dropped: Narrator's, and open_clip's from 2.23), the patch tokens before it (open_clip 2.16–2.22, what OpenFlamingo
 * was trained on), or every token of the last layer before that LayerNorm, class token first (Hugging Face's
 * {@code last_hidden_state}, as flamingo-mini reads them).
 *
 * <p>Shapes: N frames, S image side, p patch side, P = (S/p)² patches, L tokens per frame (P, or P+1), D vision width.
 */
public final class ClipVisionEncoder extends NamedBlock {
    private final FlamingoConfig.Vision c;
    private final Embeddings embeddings;
    private final LayerNorm preLayerNorm;
    private final Encoder encoder;
    private final LayerNorm postLayerNorm;

    public ClipVisionEncoder(FlamingoConfig.Vision c) {
        this.c = c;
        embeddings = child("embeddings", new Embeddings(c));
        preLayerNorm = child("pre_layrnorm", new LayerNorm(c.hiddenSize(), c.layerNormEps())); // sic: HF's name
        encoder = child("encoder", new Encoder(c));
        postLayerNorm = child("post_layernorm", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
    }

    /** (N, 3, S, S) normalised pixels → (N, L, D) features: the patch tokens (after or before the final LayerNorm), or the last hidden state. */
    @Override
    public NDArray forward(NDArray pixels) {
        if (c.lastHiddenState()) return lastHiddenState(pixels); // (N, P+1, D)
        if (c.beforePostLayerNorm()) return lastHiddenState(pixels).get(":, 1:, :"); // (N, P, D)
        return allTokens(pixels).get(":, 1:, :"); // (N, P, D)
    }

    /** (N, 3, S, S) → (N, P+1, D): class token then patch tokens, after the final LayerNorm. */
    public NDArray allTokens(NDArray pixels) {
        return postLayerNorm.forward(lastHiddenState(pixels)); // (N, P+1, D)
    }

    /** (N, 3, S, S) → (N, P+1, D): class token then patch tokens, the last encoder layer's output (no final LayerNorm). */
    public NDArray lastHiddenState(NDArray pixels) {
        Shape s = pixels.getShape();
        if (s.dimension() != 4 || s.get(1) != 3 || s.get(2) != c.imageSize() || s.get(3) != c.imageSize())
            throw new IllegalArgumentException("vision encoder expects (N, 3, " + c.imageSize() + ", " + c.imageSize()
                    + ") pixels, got " + s);
        NDArray x = preLayerNorm.forward(embeddings.forward(pixels)); // (N, P+1, D)
        for (ClipEncoderLayer layer : encoder.layers.blocks()) x = layer.forward(x); // (N, P+1, D)
        return x;
    }

    /** (N, 3, S, S) → (N, P+1, D): the embeddings before the pre-LayerNorm (tests check their layout). */
    NDArray embeddings(NDArray pixels) {
        return embeddings.forward(pixels);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), c.tokensPerFrame(), c.hiddenSize())};
    }

    /**
     * Patch embedding (a bias-free convolution with stride p), class token, learned position embeddings. With
     * {@code conv_stem_channels} (not in CLIP checkpoints) the patch embedding reads the output of a small
     * convolutional stem instead of the pixels — 3×3 stride-2 convolutions with bias and GELU, one per entry
     * ("early convolutions", Xiao et al. 2021) — and its kernel and stride shrink to p / 2ⁿ, so the patch grid
     * is unchanged. In Narrator's shape probes a ViT this small learnt object shape only with that stem (docs/notes/2026-11-27-vision-stage-position-and-shape.md).
     */
    static final class Embeddings extends NamedBlock {
        private final FlamingoConfig.Vision c;
        private final Parameter classEmbedding;
        private final BlockList<StemLayer> convStem;
        private final WeightBlock patchEmbedding;
        private final WeightBlock positionEmbedding;

        Embeddings(FlamingoConfig.Vision c) {
            this.c = c;
            int d = c.hiddenSize();
            int[] channels = c.convStemChannels();
            classEmbedding = param("class_embedding", new Shape(d), new NormalInitializer((float) Math.pow(d, -0.5)));
            convStem = channels.length == 0 ? null
                    : child("conv_stem", new BlockList<>(channels.length, i -> new StemLayer(i == 0 ? 3 : channels[i - 1], channels[i])));
            int k = c.patchKernel();
            float patchStd = channels.length == 0 ? 0.02f : (float) Math.sqrt(1.0 / (c.patchInChannels() * k * k));
            patchEmbedding = child("patch_embedding",
                    new WeightBlock(new Shape(d, c.patchInChannels(), k, k), new NormalInitializer(patchStd)));
            positionEmbedding = child("position_embedding",
                    new WeightBlock(new Shape(c.patches() + 1, d), new NormalInitializer(0.02f)));
        }

        /** (N, 3, S, S) → (N, P+1, D). */
        @Override
        public NDArray forward(NDArray pixels) {
            long n = pixels.getShape().get(0);
            int d = c.hiddenSize();
            NDArray x = pixels;
            if (convStem != null) for (StemLayer layer : convStem.blocks()) x = layer.forward(x); // (N, C, S/2ⁿ, S/2ⁿ)
            Shape stride = new Shape(c.patchKernel(), c.patchKernel());
            NDArray patches = x.getNDArrayInternal()
                    .convolution(x, patchEmbedding.weight().getArray(), null, stride, new Shape(0, 0), new Shape(1, 1), 1)
                    .head(); // (N, D, S/p, S/p)
            patches = patches.reshape(n, d, c.patches()).transpose(0, 2, 1); // (N, P, D)
            NDArray cls = patches.zerosLike().get(":, :1, :").add(classEmbedding.getArray()); // (N, 1, D)
            NDArray tokens = NDArrays.concat(new ai.djl.ndarray.NDList(cls, patches), 1); // (N, P+1, D)
            return tokens.add(positionEmbedding.weight().getArray()); // (N, P+1, D)
        }
    }

    /** One stem layer {@code conv_stem.{i}}: GELU(conv3×3, stride 2, padding 1, with bias): (N, C_in, H, W) → (N, C_out, H/2, W/2). */
    static final class StemLayer extends NamedBlock {
        private static final Shape TWO = new Shape(2, 2);
        private static final Shape ONE = new Shape(1, 1);
        private final Parameter weight;
        private final Parameter bias;

        StemLayer(int in, int out) {
            weight = param("weight", new Shape(out, in, 3, 3), new NormalInitializer((float) Math.sqrt(2.0 / (in * 9))));
            bias = param("bias", new Shape(out), Initializer.ZEROS);
        }

        @Override
        public NDArray forward(NDArray x) {
            NDArray y = x.getNDArrayInternal().convolution(x, weight.getArray(), bias.getArray(), TWO, ONE, ONE, 1).head();
            return Activations.gelu(y);
        }
    }

    /** {@code encoder.layers.{i}}. */
    static final class Encoder extends NamedBlock {
        private final BlockList<ClipEncoderLayer> layers;

        Encoder(FlamingoConfig.Vision c) {
            layers = child("layers", new BlockList<>(c.layers(), i -> new ClipEncoderLayer(c)));
        }
    }
}
