package io.narrator.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.lm.Gpt2;
import io.narrator.model.nn.Linear;
import io.narrator.model.nn.NamedBlock;
import io.narrator.model.nn.Scalars;

/**
 * What CLIP pretraining adds around the vision encoder and throws away afterwards: a small causal text
 * encoder (CLIP's text transformer is GPT-like; its feature is the last token's), the two projections to
 * the shared embedding space, and the learned temperature. Names follow Hugging Face's {@code CLIPModel}
 * for the projections and scale.
 */
final class ClipTextTower extends NamedBlock {
    private final Gpt2 text;
    private final Linear textProjection;
    private final Linear visualProjection;
    private final Parameter logitScale;

    ClipTextTower(FlamingoConfig model, int embedDim) {
        FlamingoConfig.Gpt2 c = new FlamingoConfig.Gpt2(model.text().vocabSize(), 48, 128, 2, 4, 1e-5);
        text = child("text_model", new Gpt2(c));
        textProjection = child("text_projection", Linear.builder().setIn(c.width()).setOut(embedDim).optBias(false).build());
        visualProjection = child("visual_projection",
                Linear.builder().setIn(model.visualDim()).setOut(embedDim).optBias(false).build());
        logitScale = param("logit_scale", new Shape(), new ConstantInitializer((float) Math.log(1 / 0.07)));
    }

    /**
     * L2-normalised text embeddings, (N, E), from the hidden state of each row's last token.
     *
     * @param ids (N, T) right-padded
     * @param lastIndex (N, 1, D) int64: index of each row's last token, repeated over D
     */
    NDArray embedText(NDArray ids, int[][] mask, NDArray lastIndex) {
        NDArray h = text.hidden(ids, mask); // (N, T, D)
        NDArray last = h.gather(lastIndex, 1).squeeze(1); // (N, D)
        return normalize(textProjection.forward(last)); // (N, E)
    }

    /** L2-normalised image embeddings, (N, E), from the vision encoder's pooled class token (N, Dv). */
    NDArray embedImage(NDArray pooled) {
        return normalize(visualProjection.forward(pooled)); // (N, E)
    }

    /** exp(logit_scale), capped at 100 as in CLIP. */
    NDArray scale(NDArray like) {
        NDArray s = logitScale.getArray().exp();
        s.attach(like.getManager());
        return s.minimum(Scalars.constant(like, 100f));
    }

    Parameter logitScale() {
        return logitScale;
    }

    private static NDArray normalize(NDArray x) {
        return x.div(Scalars.add(x.square().sum(new int[] {1}, true), 1e-12f).sqrt()); // (N, E)
    }

    /** Fills a parameter with one value. */
    private static final class ConstantInitializer implements Initializer {
        private final float value;

        ConstantInitializer(float value) {
            this.value = value;
        }

        @Override
        public NDArray initialize(ai.djl.ndarray.NDManager manager, Shape shape, ai.djl.ndarray.types.DataType dataType) {
            return manager.full(shape, value, dataType);
        }
    }
}
