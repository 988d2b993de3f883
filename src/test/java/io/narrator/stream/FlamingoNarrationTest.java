package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.PromptExample;
import io.narrator.model.FlamingoModel;
import io.narrator.model.checkpoint.ModelDirectory;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The bundled model behind the {@link Narration} interface: its context and its prompts' tokens, as prompt validation uses them. */
class FlamingoNarrationTest {
    private static FlamingoNarration narration;

    @BeforeAll
    static void load() throws Exception {
        narration = new FlamingoNarration(FlamingoModel.load(ModelDirectory.BUNDLED));
    }

    @AfterAll
    static void close() {
        if (narration != null) narration.close();
    }

    private static String words(int n) {
        return "red ".repeat(n).strip();
    }

    @Test
    void theContextIsTheModelsPositionsAndPromptTokensAreWhatTheGeneratorEncodes() {
        FlamingoModel model = narration.model();
        assertThat(narration.modelInfo().contextTokens()).isEqualTo(model.config().text().positions()).isEqualTo(256);
        for (List<String> texts : List.of(List.<String>of(), List.of("a red circle"), List.of("two blue squares move left", words(30))))
            assertThat(narration.promptTokens(texts)).as(texts.toString()).isEqualTo(model.tokenizer().encodePrompt(model.prompt(texts)).length);
    }

    @Test
    void aPromptThatPassesValidationIsNarratedAndOneTokenMoreIsRejectedOnArrival() {
        PromptLibrary library = new PromptLibrary(narration, NarratorConfig.defaults());
        int fixed = narration.promptTokens(List.of(""));
        int fits = 256 - 20 - fixed; // words of the example's text that leave room for the 20 tokens to generate
        assertThat(narration.promptTokens(List.of(words(fits)))).isEqualTo(236);
        byte[] png = TestMedia.png("red");
        CompiledPrompt compiled = library.compile("cam@0", prompt(png, words(fits)));
        List<byte[]> clip = narration.encodeFrames(List.of(TestMedia.solid("blue", 96, 96)));
        ClipNarration narrated = narration.narrate(List.of(new ClipRequest("cam", clip, compiled.examples(), null, compiled.settings()))).get(0);
        assertThat(narrated.error()).isNull();

        assertThatThrownBy(() -> library.compile("cam@1", prompt(png, words(fits + 1))))
                .isInstanceOfSatisfying(RejectedRecordException.class, e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.PROMPT_TOO_LONG))
                .hasMessage("the prompt takes 237 tokens and 20 more are generated: 257 is more than model narrator-tiny's context of 256 tokens");
        // what the same request would get from the model if it were let through
        CompiledPrompt unchecked = new CompiledPrompt("cam@1", List.of(new ClipRequest.PromptExample(compiled.examples().get(0).frameFeatures(),
                words(fits + 1))), compiled.settings(), 0, 0);
        assertThat(narration.narrate(List.of(new ClipRequest("cam", clip, unchecked.examples(), null, unchecked.settings()))).get(0).error())
                .isEqualTo("the model rejected this clip's prompt (too long for its context?)");
    }

    private static NarrationPrompt prompt(byte[] png, String text) {
        return NarrationPrompt.newBuilder().setExamples(List.of(new PromptExample("PNG", ByteBuffer.wrap(png), text))).build();
    }
}
