package io.narrator.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.model.generate.DecodingOptions;
import io.narrator.model.generate.GenerationRequest;
import io.narrator.model.generate.GenerationResult;
import io.narrator.model.generate.Media;
import io.narrator.model.generate.ScoreRequest;
import io.narrator.model.generate.ScoreResult;
import io.narrator.model.vision.VisionFeatures;
import io.narrator.train.world.Episode;
import io.narrator.train.world.FrameRenderer;
import io.narrator.train.world.World;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * The bundled model computes bit for bit what it computed before the model code learnt other families (OPT, other
 * placements, activations, features, special tokens): the values below were captured from main at f5d926f with this
 * test's code, and every one of them must stay exactly the same: the SHA-256 of the vision features, of the visual
 * tokens and of the logits (float32 bits), the captions by beam search and greedy decoding, and scored log-probabilities.
 */
@EnabledIf("bundledModelPresent")
class BundledModelOutputsTest {
    static FlamingoModel model;
    static List<Media> clips;

    static boolean bundledModelPresent() {
        return ModelDirectory.class.getClassLoader().getResource(ModelDirectory.BUNDLED_RESOURCE + ModelDirectory.CONFIG) != null;
    }

    @BeforeAll
    static void load() throws Exception {
        model = FlamingoModel.load(ModelDirectory.BUNDLED);
        FrameRenderer renderer = new FrameRenderer(160, 120);
        clips = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            Episode e = World.DEFAULT.episode(4200 + c, 1, 8_000_000L);
            List<BufferedImage> frames = new ArrayList<>();
            for (int f = 0; f < 8; f++) frames.add(renderer.render(e, f * 1_000_000L).image());
            clips.add(new Media(model.encode(frames)));
        }
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    @Test
    void visionFeaturesAreUnchanged() throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (Media clip : clips) for (VisionFeatures f : clip.frames()) sha.update(bytes(f.values()));
        String hex = HexFormat.of().formatHex(sha.digest());
        assertThat(hex).isEqualTo(VISION_SHA);
    }

    @Test
    void visualTokensAndLogitsAreUnchanged() throws Exception {
        String prompt = model.prompt(List.of("a red circle moves left")); // one example, then the clip to describe
        long[] ids = model.tokenizer().encode(prompt + " two");
        try (NDManager m = model.manager().newSubManager()) {
            List<NDArray> media = new ArrayList<>();
            for (Media clip : clips.subList(0, 2)) media.add(array(m, clip));
            VisualTokens visual = model.block().visualTokens(m, List.of(media));
            FlamingoState state = model.block().start(m, visual, false);
            NDArray idArray = m.create(ids, new ai.djl.ndarray.types.Shape(1, ids.length));
            int[][] mask = new int[1][ids.length];
            java.util.Arrays.fill(mask[0], 1);
            float[] logits = model.block().forward(idArray, mask, state).toFloatArray();
            String visualSha = sha(visual.items().toFloatArray());
            String logitsSha = sha(logits);
            assertThat(visualSha).as("visual tokens").isEqualTo(VISUAL_SHA);
            assertThat(logitsSha).as("logits").isEqualTo(LOGITS_SHA);
        }
    }

    @Test
    void captionsAndScoresAreUnchanged() {
        List<GenerationRequest> requests = List.of(
                new GenerationRequest(model.prompt(List.of()), List.of(clips.get(0)), DecodingOptions.beam(3, 20)),
                new GenerationRequest(model.prompt(List.of()), List.of(clips.get(1)), DecodingOptions.greedy(20)),
                new GenerationRequest(model.prompt(List.of("a red circle moves left")), List.of(clips.get(0), clips.get(2)),
                        DecodingOptions.beam(3, 20)));
        List<GenerationResult> out = model.generate(requests);
        List<String> texts = out.stream().map(GenerationResult::text).toList();
        List<String> logProbs = out.stream().map(r -> Double.toString(r.totalLogProb())).toList();
        ScoreResult score = model.score(List.of(new ScoreRequest(model.prompt(List.of()), List.of(clips.get(2)), "two blue squares"))).get(0);
        assertThat(texts).containsExactly(CAPTIONS);
        assertThat(logProbs).containsExactly(CAPTION_LOG_PROBS);
        assertThat(Double.toString(score.totalLogProb())).isEqualTo(SCORE);
    }

    private static NDArray array(NDManager m, Media clip) {
        int p = clip.frames().get(0).patches();
        int d = clip.frames().get(0).dim();
        float[] all = new float[clip.frames().size() * p * d];
        for (int f = 0; f < clip.frames().size(); f++) System.arraycopy(clip.frames().get(f).values(), 0, all, f * p * d, p * d);
        return m.create(all, new ai.djl.ndarray.types.Shape(clip.frames().size(), p, d));
    }

    private static String sha(float[] values) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes(values)));
    }

    private static byte[] bytes(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return b.array();
    }

    static final String VISION_SHA = "841ea27c9e257f5fd5ceddef76448e5e35843668ec1614f2362c24e34434fe3a";
    static final String VISUAL_SHA = "7b4d86bf12bbfe3b8002cdc23da25ed2926f30a7121e6abc12acbbdb4f606b16";
    static final String LOGITS_SHA = "a7c0744801919673eab3bdb9961483ebac7d6dea70c48c2b2de9c56db7e94021";
    static final String[] CAPTIONS = {
        "three small orange crosses move down", "three large purple triangles fade away", "a large purple star gets bigger"};
    static final String[] CAPTION_LOG_PROBS = {"-5.4523129551671445", "-4.633841351198498", "-4.849862745031714"};
    static final String SCORE = "-10.270511150360107";
}
