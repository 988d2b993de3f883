package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.PromptExample;
import io.narrator.model.FlamingoModel;
import io.narrator.model.MiniStyleModels;
import io.narrator.model.ModelDtype;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.model.generate.DecodingOptions;
import io.narrator.model.generate.GenerationRequest;
import io.narrator.model.generate.Media;
import io.narrator.model.vision.VisionFeatures;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.StreamsBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FlamingoNarration} with a model of flamingo-mini's family (OPT, {@code <image>} as plain text whose {@code <}
 * tokens are the media, {@code <EOC>}): prompts whose example texts would read as media are malformed, a previous
 * caption that would is left out of the context, captions come out clean, and a model that reads only a clip's
 * latest frame takes windows of any length while one that reads them all is held to its {@code max_frames}.
 */
class MiniStyleNarrationTest {
    @TempDir static Path dir;
    static FlamingoModel mini;
    static FlamingoModel latest;
    static FlamingoNarration narration;
    static FlamingoNarration latestNarration;

    @BeforeAll
    static void load() throws Exception {
        mini = FlamingoModel.load(ModelDirectory.of(MiniStyleModels.dir()), Device.cpu(), ModelDtype.F32);
        latest = FlamingoModel.load(ModelDirectory.of(MiniStyleModels.readingLatestFrame(dir.resolve("latest"))), Device.cpu(), ModelDtype.F32);
        narration = new FlamingoNarration(mini);
        latestNarration = new FlamingoNarration(latest);
    }

    @AfterAll
    static void close() {
        if (narration != null) narration.close();
        if (latestNarration != null) latestNarration.close();
    }

    static PromptExample image(String colour, String text) {
        return new PromptExample("PNG", ByteBuffer.wrap(TestMedia.png(colour)), text);
    }

    static NarrationPrompt prompt(PromptExample... examples) {
        return NarrationPrompt.newBuilder().setExamples(List.of(examples)).build();
    }

    @Test
    void exampleTextsThatWouldReadAsMediaAreMalformedPromptsNamingTheExample() {
        PromptLibrary library = new PromptLibrary(narration, NarratorConfig.of(Map.of("window.seconds", "4", "hop.seconds", "4")));
        for (String text : new String[] {"a <b> dog", "<image>", "the image <"}) {
            assertThatThrownBy(() -> library.compile("bad", prompt(image("red", "a red cat"), image("blue", text)))).as(text)
                    .isInstanceOfSatisfying(RejectedRecordException.class, e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.MALFORMED_PROMPT))
                    .hasMessage("example 1: the text \"" + text + "\" holds a token that marks media in this model (<image>): it would be read as an "
                            + "image; leave it out of the text");
        }
        CompiledPrompt ok = library.compile("good", prompt(image("red", "a red cat"), image("blue", "a blue dog > a cat")));
        assertThat(ok.examples()).extracting(ClipRequest.PromptExample::text).containsExactly("a red cat", "a blue dog > a cat");
        // and the prompt it makes holds one media marker per example plus the clip's
        String text = mini.prompt(List.of("a red cat", "a blue dog > a cat"));
        assertThat(text).isEqualTo("<image>a red cat<EOC><image>a blue dog > a cat<EOC><image>");
        assertThat(mini.mediaMarkers(text)).isEqualTo(3);
    }

    @Test
    void promptTokensCountTheBosTokenTheGeneratorPutsFirst() {
        for (List<String> texts : List.of(List.<String>of(), List.of("a red cat"), List.of("a red cat", "a blue dog"))) {
            String prompt = mini.prompt(texts);
            assertThat(narration.promptTokens(texts)).as(prompt).isEqualTo(mini.tokenizer().encodePrompt(prompt).length)
                    .isEqualTo(mini.tokenizer().encode(prompt).length + 1);
        }
        assertThat(narration.modelInfo().contextTokens()).isEqualTo(64);
    }

    @Test
    void aPreviousCaptionThatWouldReadAsMediaIsLeftOutOfTheContext() {
        List<byte[]> frames = narration.encodeFrames(List.of(TestMedia.solid("red", 32, 24), TestMedia.solid("green", 32, 24)));
        GenerationSettings greedy = new GenerationSettings(6, 1, 0);
        String without = narrate(narration, frames, null, greedy);
        assertThat(narrate(narration, frames, "a red <cat>", greedy)).isEqualTo(without);
        assertThat(narrate(narration, frames, "<image>", greedy)).isEqualTo(without);
        // a clean previous caption is plain text before the prompt
        String context = "a red cat";
        String withContext = narrate(narration, frames, context, greedy);
        Media clip = new Media(features(frames));
        String direct = mini.generate(List.of(new GenerationRequest("a red cat <image>", List.of(clip), DecodingOptions.greedy(6)))).get(0).text();
        assertThat(withContext).isEqualTo(direct);
        assertThat(mini.prompt(context, List.of())).isEqualTo("a red cat <image>");
        assertThat(mini.mediaMarkers("a red cat <image>")).isEqualTo(1);
    }

    private static String narrate(FlamingoNarration n, List<byte[]> frames, String previous, GenerationSettings settings) {
        ClipNarration result = n.narrate(List.of(new ClipRequest("cam", frames, List.of(), previous, settings))).get(0);
        assertThat(result.error()).as("error of the clip with context " + previous).isNull();
        return result.text();
    }

    private static List<VisionFeatures> features(List<byte[]> frames) {
        List<VisionFeatures> out = new ArrayList<>();
        for (byte[] f : frames) out.add(VisionFeatures.fromBytes(f));
        return out;
    }

    @Test
    void captionsComeOutCleanWhateverTheModelGenerates() {
        List<ClipRequest> clips = new ArrayList<>();
        String[] colours = {"red", "green", "blue", "yellow", "white", "black", "cyan", "magenta"};
        for (int i = 0; i < colours.length; i++) {
            List<BufferedImage> images = List.of(TestMedia.solid(colours[i], 32, 24), TestMedia.solid(colours[(i + 3) % colours.length], 32, 24));
            GenerationSettings settings = i % 3 == 0 ? new GenerationSettings(20, 3, 0) : i % 3 == 1 ? new GenerationSettings(20, 1, 0)
                    : new GenerationSettings(20, 1, 0.9);
            clips.add(new ClipRequest("cam-" + i, narration.encodeFrames(images), List.of(), null, settings));
        }
        List<ClipNarration> results = narration.narrate(clips);
        assertThat(results).hasSize(clips.size()).allSatisfy(r -> {
            assertThat(r.error()).isNull();
            assertThat(r.text()).isEqualTo(r.text().strip()).doesNotContain("<EOC>", "</s>", "<s>", "<pad>", "<unk>", "<image>");
        });
        // the tokenizer drops special tokens and, as flamingo-mini's decoding does, the media text and end of chunk written as text
        long[] ids = concat(mini.tokenizer().encode("a <image> red<EOC>"), new long[] {2, 1, 0}, mini.tokenizer().encode(" cat<image>"));
        assertThat(mini.tokenizer().decode(ids)).isEqualTo("a red cat");
    }

    private static long[] concat(long[]... parts) {
        int n = 0;
        for (long[] p : parts) n += p.length;
        long[] out = new long[n];
        int at = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    @Test
    void aModelReadingTheLatestFrameTakesWindowsOfAnyLengthOneReadingEveryFrameItsMaxFrames() {
        assertThat(latestNarration.modelInfo().maxFrames()).isEqualTo(ModelInfo.ANY_FRAMES);
        assertThat(narration.modelInfo().maxFrames()).isEqualTo(4);
        NarratorConfig eightFrames = NarratorConfig.defaults(); // 8 s windows at 1 FPS
        try (NarrationEngine engine = NarrationEngine.start(latestNarration, NarrationEngine.Settings.from(eightFrames), NarratorMetrics.inMemory())) {
            assertThat(NarratorTopology.build(new StreamsBuilder(), engine, Topics.from(eightFrames), eightFrames)).isNotNull();
        }
        try (NarrationEngine engine = NarrationEngine.start(narration, NarrationEngine.Settings.from(eightFrames), NarratorMetrics.inMemory())) {
            assertThatThrownBy(() -> NarratorTopology.build(new StreamsBuilder(), engine, Topics.from(eightFrames), eightFrames))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("window.seconds=8 at sample.fps=1.0 makes clips of 8 frames, but model flamingo-mini-style-test takes at most 4: "
                            + "lower window.seconds or sample.fps");
        }
        // what the latest-frame model says about 8 frames is what it says about the last one
        List<byte[]> frames = new ArrayList<>();
        String[] colours = {"red", "green", "blue", "yellow", "white", "black", "cyan", "magenta"};
        for (String c : colours) frames.add(latestNarration.encodeFrames(List.of(TestMedia.solid(c, 32, 24))).get(0));
        GenerationSettings greedy = new GenerationSettings(8, 1, 0);
        ClipNarration all = latestNarration.narrate(List.of(new ClipRequest("cam", frames, List.of(), null, greedy))).get(0);
        ClipNarration last = latestNarration.narrate(List.of(new ClipRequest("cam", frames.subList(7, 8), List.of(), null, greedy))).get(0);
        assertThat(all.text()).isEqualTo(last.text());
        assertThat(all.logProb()).isEqualTo(last.logProb());
    }
}
