package io.narrator.model.resampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoConfig.Perceiver;
import io.narrator.model.FlamingoModel;
import io.narrator.model.TinyModels;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerceiverResamplerTest {
    @TempDir static Path tmp;
    static FlamingoModel model;
    static PerceiverResampler resampler;
    static int latents, dim, patches, maxFrames;

    @BeforeAll
    static void load() throws Exception {
        model = TinyModels.random(tmp, 3);
        resampler = model.block().perceiver();
        latents = model.config().perceiver().latents();
        dim = model.config().visualDim();
        patches = model.config().vision().patches();
        maxFrames = model.config().perceiver().maxFrames();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void outputHasTheSameShapeWhateverTheFrameCount() {
        try (NDManager m = model.manager().newSubManager()) {
            for (int frames : new int[] {1, 2, maxFrames, 3 * maxFrames + 1}) {
                NDArray out = resampler.forward(m.randomNormal(new Shape(2, frames, patches, dim)));
                assertThat(out.getShape()).as("%d frames", frames).isEqualTo(new Shape(2, latents, dim));
                assertThat(out.isNaN().any().getBoolean()).isFalse();
            }
        }
    }

    @Test
    void temporalEmbeddingsMakeFrameOrderMatter() {
        try (NDManager m = model.manager().newSubManager()) {
            NDArray frames = m.randomNormal(new Shape(1, maxFrames, patches, dim));
            double withTime = meanAbsDiff(resampler.forward(frames), resampler.forward(frames.flip(1)));
            // attention over keys is permutation invariant: only the temporal embeddings tell frames apart
            NDArray table = resampler.temporalEmbeddings(m.zeros(new Shape(1)), maxFrames);
            var frameEmbs = model.block().namedParameters().get("perceiver.frame_embs").getArray();
            float[] saved = frameEmbs.toFloatArray();
            try {
                frameEmbs.set(new float[saved.length]);
                double withoutTime = meanAbsDiff(resampler.forward(frames), resampler.forward(frames.flip(1)));
                assertThat(withoutTime).isLessThan(1e-6);
                assertThat(withTime).isGreaterThan(1e-5).isGreaterThan(100 * withoutTime);
            } finally {
                frameEmbs.set(saved);
            }
            assertThat(table.toFloatArray()).containsExactly(saved);
        }
    }

    @Test
    void framePolicyChoosesWhichFramesOfAClipAreRead() {
        // 8 frames of a clip, 4 learned temporal embeddings
        assertThat(frames(4, Perceiver.INTERPOLATE, 0).frameIndices(8)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(frames(4, Perceiver.SAMPLE, 0).frameIndices(8)).containsExactly(0, 2, 5, 7);
        assertThat(frames(4, Perceiver.SAMPLE, 0).frameIndices(3)).containsExactly(0, 1, 2);
        assertThat(frames(4, Perceiver.INTERPOLATE, 1).frameIndices(8)).containsExactly(7); // the latest frame
        assertThat(frames(4, Perceiver.SAMPLE, 1).frameIndices(1)).containsExactly(0);
        assertThat(frames(4, Perceiver.INTERPOLATE, 6).frameIndices(8)).containsExactly(0, 1, 3, 4, 6, 7);
        assertThat(frames(4, Perceiver.SAMPLE, 6).frameIndices(8)).containsExactly(0, 3, 4, 7); // 4 of those 6
        assertThat(frames(1, Perceiver.SAMPLE, 0).frameIndices(8)).containsExactly(7);
    }

    @Test
    void aClipCutToItsLatestFrameResamplesLikeThatFrameAlone() {
        FlamingoConfig c = model.config();
        FlamingoConfig latest = new FlamingoConfig(c.modelType(), c.name(), c.version(), c.vision(), c.text(),
                withFrames(c.perceiver(), Perceiver.INTERPOLATE, 1), c.crossAttention(), c.specialTokens(), c.generation());
        PerceiverResampler cut = new PerceiverResampler(latest);
        try (NDManager m = model.manager().newSubManager()) {
            cut.initialize(m);
            resampler.namedParameters().forEach((name, p) -> cut.namedParameters().get(name).getArray().set(p.getArray().toFloatArray()));
            NDArray clip = m.randomNormal(new Shape(2, 5, patches, dim));
            NDArray last = clip.get(":, 4:5"); // (2, 1, P, D)
            assertThat(cut.forward(clip).toFloatArray()).containsExactly(resampler.forward(last).toFloatArray());
            assertThat(meanAbsDiff(resampler.forward(clip), resampler.forward(last))).isGreaterThan(1e-4);
        }
    }

    @Test
    void withoutTemporalEmbeddingsAClipsFramesAreReadAsOneSetOfTokens() {
        // OpenFlamingo's resampler (max_frames 0): F frames of P tokens are F·P tokens, in any order, of one frame
        FlamingoConfig c = model.config();
        Perceiver p = c.perceiver();
        FlamingoConfig none = new FlamingoConfig(c.modelType(), c.name(), c.version(), c.vision(), c.text(),
                new Perceiver(p.depth(), p.heads(), p.dimHead(), p.latents(), 0, p.ffMult(), p.kvProjection(), p.activation(),
                        Perceiver.INTERPOLATE, 0), c.crossAttention(), c.specialTokens(), c.generation());
        PerceiverResampler flat = new PerceiverResampler(none);
        assertThat(flat.expectedShapes()).doesNotContainKey("frame_embs");
        try (NDManager m = model.manager().newSubManager()) {
            flat.initialize(m);
            flat.namedParameters().forEach((name, q) -> q.getArray().set(resampler.namedParameters().get(name).getArray().toFloatArray()));
            NDArray clip = m.randomNormal(new Shape(2, 3, patches, dim)); // (2, 3, P, D)
            NDArray asOneFrame = clip.reshape(2, 1, 3 * patches, dim); // (2, 1, 3P, D)
            float[] expected = flat.forward(asOneFrame).toFloatArray();
            float[] got = flat.forward(clip).toFloatArray();
            for (int i = 0; i < expected.length; i++) assertThat(got[i]).isCloseTo(expected[i], within(1e-5f));
            NDArray reversed = clip.flip(1); // the same tokens, frames in the other order
            assertThat(meanAbsDiff(flat.forward(reversed), flat.forward(clip))).as("no temporal embedding: frame order does not matter")
                    .isLessThan(1e-6);
            assertThat(flat.frameIndices(8)).as("every frame of a clip is read").containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        }
    }

    private static PerceiverResampler frames(int maxFrames, String policy, int perMedia) {
        FlamingoConfig c = model.config();
        Perceiver p = new Perceiver(c.perceiver().depth(), c.perceiver().heads(), c.perceiver().dimHead(), c.perceiver().latents(),
                maxFrames, c.perceiver().ffMult());
        return new PerceiverResampler(new FlamingoConfig(c.modelType(), c.name(), c.version(), c.vision(), c.text(),
                withFrames(p, policy, perMedia), c.crossAttention(), c.specialTokens(), c.generation()));
    }

    private static Perceiver withFrames(Perceiver p, String policy, int perMedia) {
        return new Perceiver(p.depth(), p.heads(), p.dimHead(), p.latents(), p.maxFrames(), p.ffMult(), p.kvProjection(),
                p.activation(), policy, perMedia);
    }

    private static double meanAbsDiff(NDArray a, NDArray b) {
        return a.sub(b).abs().mean().getFloat();
    }

    @Test
    void moreFramesThanMaxFramesInterpolateTheTemporalEmbeddings() {
        try (NDManager m = model.manager().newSubManager()) {
            NDArray like = m.zeros(new Shape(1));
            float[] table = resampler.temporalEmbeddings(like, maxFrames).toFloatArray(); // the learned table
            int f = 2 * maxFrames - 1; // every second position falls exactly on a learned embedding
            float[] interp = resampler.temporalEmbeddings(like, f).toFloatArray();
            for (int i = 0; i < f; i++) {
                for (int d = 0; d < dim; d++) {
                    float expected = i % 2 == 0
                            ? table[(i / 2) * dim + d]
                            : 0.5f * (table[(i / 2) * dim + d] + table[(i / 2 + 1) * dim + d]);
                    assertThat(interp[i * dim + d]).isCloseTo(expected, within(1e-5f));
                }
            }
            // fewer frames use the first embeddings exactly
            float[] three = resampler.temporalEmbeddings(like, 3).toFloatArray();
            assertThat(three).containsExactly(java.util.Arrays.copyOf(table, 3 * dim));
        }
    }
}
