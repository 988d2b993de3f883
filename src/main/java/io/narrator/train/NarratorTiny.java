package io.narrator.train;

import io.narrator.model.FlamingoConfig;
import io.narrator.model.tokenizer.WordLevelTokenizer;

/**
 * The architecture of the bundled model, narrator-tiny (≈2.5 M parameters, 96×96 letterboxed frames in 64 patches behind a
 * convolutional stem): small enough to train on two CPU cores in well under an hour, large enough to caption the synthetic
 * world. The ViT's stem (3→32→64 channels) is what lets it count (96% instead of 77%). A gated cross-attention layer sits
 * before every second LM layer, as the paper spaces them in its larger models: with one before every layer (1.1.0) the first
 * was hardly used, every generated token cost more, and with the stem the model lost appearing and disappearing
 * (CHANGELOG.md, docs/notes/). 1.4.0 and 1.4.1 have the same architecture; their vision stage puts the contrastive loss on the patch
 * tokens as well ({@link VisionStage}), which took events from 37% to 75–78%. 1.4.1 is the same recipe and seed as 1.4.0,
 * run on another build machine, whose CPU kernels round differently: its count is 97% where 1.4.0's was 75%. 1.5.0 is
 * 1.4.1 with stage 3 twice as long: events 97%, moving left included. 1.6.0 runs the vision stage twice as long, which
 * puts shape into the ViT, and stage 3 6,600 steps: shape 52% (1.5.0: 16%), events 97%. 1.7.0 runs the vision stage
 * 3,300 steps under the same stage 3: shape 75%, events 99%, whole captions 74% (1.6.0: 50%). 1.7.1 is 1.7.0's recipe with
 * stage 3 on two model replicas, which brings {@code train all} to 42.7 minutes: shape 73%, events 100%, whole captions
 * 73%. 1.8.0 runs every stage on two replicas and the vision stage 4,200 steps ({@link Recipe.Plan#DEFAULT}): shape 89%,
 * events 100%, whole captions 89%, {@code train all} 39.1 minutes. 1.8.1 runs the vision stage 4,600 steps: shape 94%,
 * events 100%, whole captions 94%, {@code train all} 41.7 minutes. 1.9.0 draws the vision stage's easy frames with a
 * small object after 65% of its steps and stage 3's clips from a pool of 9,000 (its first 3,000 for the first half):
 * shape 98%, events 100%, whole captions 98%.
 */
public final class NarratorTiny {
    public static final String NAME = "narrator-tiny";

    private NarratorTiny() {}

    /** The config for a word-level vocabulary of {@code vocabSize} tokens (special tokens included). */
    public static FlamingoConfig config(int vocabSize, String version) {
        return new FlamingoConfig(
                FlamingoConfig.MODEL_TYPE, NAME, version,
                new FlamingoConfig.Vision(96, 12, 128, 4, 4, 512, 1e-5, "quick_gelu",
                        new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f}, FlamingoConfig.Vision.LETTERBOX,
                        new int[] {32, 64}),
                new FlamingoConfig.Gpt2(vocabSize, 256, 128, 4, 4, 1e-5),
                new FlamingoConfig.Perceiver(2, 4, 32, 16, 8, 4),
                new FlamingoConfig.CrossAttention(2, 4, 32, 4, true),
                WordLevelTokenizer.specialTokens(),
                new FlamingoConfig.Generation(20, 3, 1.0, "Output:"));
    }
}
