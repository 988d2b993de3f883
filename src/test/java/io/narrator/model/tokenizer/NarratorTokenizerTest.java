package io.narrator.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.model.FlamingoConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NarratorTokenizerTest {
    @TempDir Path tmp;

    @Test
    void encodesFewShotPromptsWithTheSpecialTokens() throws Exception {
        Path file = tmp.resolve("tokenizer.json");
        var vocab = WordLevelTokenizer.write(file, List.of("a", "red", "circle", "moves", "left"));
        try (NarratorTokenizer t = NarratorTokenizer.load(file, WordLevelTokenizer.specialTokens())) {
            long[] ids = t.encode("<image>Output: A red circle<|endofchunk|><image>Output:");
            assertThat(ids).containsExactly(3, vocab.get("output"), vocab.get(":"), vocab.get("a"), vocab.get("red"),
                    vocab.get("circle"), 4, 3, vocab.get("output"), vocab.get(":"));
            assertThat(t.decode(new long[] {vocab.get("a"), vocab.get("red"), vocab.get("circle"), 4})).isEqualTo("a red circle");
            assertThat(t.encode("purple")).containsExactly(1); // <unk>
        }
    }

    @Test
    void refusesATokenizerWhoseSpecialTokensDisagreeWithTheConfig() throws Exception {
        Path file = tmp.resolve("tokenizer.json");
        WordLevelTokenizer.write(file, List.of("a"));
        assertThatThrownBy(() -> NarratorTokenizer.load(file, new FlamingoConfig.SpecialTokens(5, 4, 2, 0)))
                .hasMessageContaining("token <image> encodes to [3] but config.json says its id is 5");
        // plain-text media: "<image>" must hold exactly one of the media markers, with and without a space before it
        Path bpe = Path.of(NarratorTokenizerTest.class.getResource("/reference/flamingo-mini-style/tokenizer.json").toURI());
        FlamingoConfig.SpecialTokens onlyWithoutSpace = new FlamingoConfig.SpecialTokens(-1, 68, 2, 2, "<image>", "<EOC>",
                new int[] {4}, 2, new int[0], new int[0]);
        assertThatThrownBy(() -> NarratorTokenizer.load(bpe, onlyWithoutSpace))
                .hasMessageContaining("media text \" <image>\" encodes to [67, 61, 5], which holds 0 of the media markers [4]");
        FlamingoConfig.SpecialTokens both = new FlamingoConfig.SpecialTokens(-1, 68, 2, 2, "<image>", "<EOC>",
                new int[] {4, 67}, 2, new int[0], new int[0]);
        try (NarratorTokenizer t = NarratorTokenizer.load(bpe, both)) {
            assertThat(t.encodePrompt("<image>")).containsExactly(2, 4, 61, 5);
            assertThat(t.encode(" <image>")).containsExactly(67, 61, 5);
        }
        FlamingoConfig.SpecialTokens wrongEnd = new FlamingoConfig.SpecialTokens(-1, 60, 2, 2, "<image>", "<EOC>",
                new int[] {4, 67}, 2, new int[0], new int[0]);
        assertThatThrownBy(() -> NarratorTokenizer.load(bpe, wrongEnd)).hasMessageContaining("token <EOC> encodes to [68] but config.json says its id is 60");
        Files.writeString(file, "{}");
        assertThatThrownBy(() -> NarratorTokenizer.load(file, WordLevelTokenizer.specialTokens()))
                .hasMessageContaining("not a Hugging Face tokenizer.json");
    }
}
