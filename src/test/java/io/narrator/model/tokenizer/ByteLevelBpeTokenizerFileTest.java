package io.narrator.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.model.FlamingoConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tokenizer.json built from an OPT-style tokenizer folder, loaded by Hugging Face tokenizers through DJL, against
 * {@code src/test/python/byte_level_bpe_reference.py}: a GPT-2 byte-level BPE written from the algorithm's
 * description, whose tiny OPT-layout folder and expected tokenizations sit in {@code src/test/resources/tokenizer/opt-tiny/}.
 */
class ByteLevelBpeTokenizerFileTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The options NarratorTokenizer loads with: nothing added, no padding or truncation. */
    private static final Map<String, String> OPTIONS = Map.of("addSpecialTokens", "false", "padding", "false", "truncation", "false");

    @TempDir Path tmp;

    @Test
    void tokenizesAndDecodesLikeGpt2sByteLevelBpe() throws Exception {
        JsonNode reference = JSON.readTree(resource("cases.json").toFile());
        ByteLevelBpeTokenizerFile bpe = ByteLevelBpeTokenizerFile.read(resource("")).withToken("<EOC>");
        Map<String, Integer> expectedAdded = new LinkedHashMap<>();
        reference.get("added").properties().forEach(e -> expectedAdded.put(e.getKey(), e.getValue().asInt()));
        assertThat(bpe.addedTokens()).as("OPT's specials from the config files, then <EOC> at the next id").isEqualTo(expectedAdded);
        assertThat(bpe.size()).isEqualTo(expectedAdded.get("<EOC>") + 1);
        Path file = tmp.resolve("tokenizer.json");
        bpe.write(file);
        List<String> wrong = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file); HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(in, OPTIONS)) {
            for (JsonNode c : reference.get("cases")) {
                String text = c.get("text").asText();
                Encoding e = hf.encode(text, false, false);
                long[] ids = longs(c.get("ids"));
                if (!java.util.Arrays.equals(e.getIds(), ids))
                    wrong.add(JSON.writeValueAsString(text) + ": ids " + java.util.Arrays.toString(e.getIds()) + " " + List.of(e.getTokens())
                            + ", reference " + java.util.Arrays.toString(ids) + " " + c.get("tokens"));
                assertThat(e.getTokens()).as(text).containsExactly(strings(c.get("tokens")));
                assertThat(hf.decode(ids, false)).as("decode of " + text).isEqualTo(c.get("decoded").asText()).isEqualTo(text);
                assertThat(hf.decode(ids, true)).as("decode without special tokens of " + text).isEqualTo(c.get("decoded_without_special").asText());
            }
        }
        assertThat(wrong).as("texts tokenized differently from the reference").isEmpty();
    }

    @Test
    void imageIsPlainTextWhoseFirstTokenIsLessThanOrSpaceLessThan() throws Exception {
        ByteLevelBpeTokenizerFile bpe = ByteLevelBpeTokenizerFile.read(resource("")).withToken("<EOC>");
        Path file = tmp.resolve("tokenizer.json");
        bpe.write(file);
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file, OPTIONS)) {
            assertThat(hf.encode("<image>", false, false).getTokens()).containsExactly("<", "image", ">");
            assertThat(hf.encode(" <image>", false, false).getTokens()).containsExactly("Ġ<", "image", ">");
            assertThat(hf.encode("a<EOC>b", false, false).getIds()).containsExactly(bpe.id("a"), bpe.id("<EOC>"), bpe.id("b"));
            assertThat(bpe.id("<")).isNotEqualTo(bpe.id("Ġ<")).isPositive();
        }
    }

    @Test
    void narratorTokenizerLoadsItWithNarratorsOwnSpecialTokensAdded() throws Exception {
        ByteLevelBpeTokenizerFile bpe = ByteLevelBpeTokenizerFile.read(resource(""))
                .withToken(NarratorTokenizer.IMAGE).withToken(NarratorTokenizer.END_OF_CHUNK);
        int image = bpe.id(NarratorTokenizer.IMAGE), eoc = bpe.id(NarratorTokenizer.END_OF_CHUNK);
        assertThat(new int[] {image, eoc}).containsExactly(bpe.size() - 2, bpe.size() - 1);
        Path file = tmp.resolve("tokenizer.json");
        bpe.write(file);
        try (NarratorTokenizer t = NarratorTokenizer.load(file, new FlamingoConfig.SpecialTokens(image, eoc, bpe.id("</s>"), bpe.id("<pad>")))) {
            long[] ids = t.encode("<image>Output: a red circle<|endofchunk|>");
            assertThat(ids[0]).isEqualTo(image);
            assertThat(ids[ids.length - 1]).isEqualTo(eoc);
            assertThat(t.decode(ids)).isEqualTo("Output: a red circle");
        }
    }

    @Test
    void tokensAlreadyInTheVocabularyKeepTheirIds() throws Exception {
        ByteLevelBpeTokenizerFile bpe = ByteLevelBpeTokenizerFile.read(resource(""));
        int size = bpe.size();
        ByteLevelBpeTokenizerFile more = bpe.withToken("<s>").withToken("<EOC>").withToken("<EOC>");
        assertThat(more.id("<s>")).isZero();
        assertThat(more.id("<EOC>")).isEqualTo(size);
        assertThat(more.size()).isEqualTo(size + 1);
        assertThat(bpe.id("<EOC>")).as("withToken leaves the original as it was").isEqualTo(-1);
    }

    @Test
    void aFolderWithoutConfigFilesHasNoAddedTokens() throws Exception {
        Path dir = copy("plain");
        Files.delete(dir.resolve(ByteLevelBpeTokenizerFile.SPECIAL_TOKENS_MAP));
        Files.delete(dir.resolve(ByteLevelBpeTokenizerFile.TOKENIZER_CONFIG));
        assertThat(ByteLevelBpeTokenizerFile.read(dir).addedTokens()).isEmpty();
    }

    @Test
    void aNewerTokenizerConfigsAddedTokensDecoderIsRead() throws Exception {
        Path dir = copy("decoder");
        Files.writeString(dir.resolve(ByteLevelBpeTokenizerFile.TOKENIZER_CONFIG),
                "{\"added_tokens_decoder\": {\"1\": {\"content\": \"<pad>\", \"special\": true}, \"3\": {\"content\": \"<unk>\", \"special\": true}}}");
        assertThat(ByteLevelBpeTokenizerFile.read(dir).addedTokens()).containsEntry("<unk>", 3).containsEntry("<pad>", 1);
        Files.writeString(dir.resolve(ByteLevelBpeTokenizerFile.TOKENIZER_CONFIG), "{\"added_tokens_decoder\": {\"7\": {\"content\": \"<pad>\"}}}");
        assertThatThrownBy(() -> ByteLevelBpeTokenizerFile.read(dir))
                .hasMessage(dir.resolve("tokenizer_config.json") + ": added_tokens_decoder puts \"<pad>\" at id 7 but vocab.json has it at 1");
    }

    @Test
    void everyBadInputIsOneLineNamingTheFileAndLine() throws Exception {
        Path dir = copy("bad");
        Path vocab = dir.resolve("vocab.json");
        Path merges = dir.resolve("merges.txt");
        String goodVocab = Files.readString(vocab);
        String goodMerges = Files.readString(merges);

        Files.delete(merges);
        assertError(dir, merges + ": no such file (a byte-level BPE tokenizer needs vocab.json and merges.txt)");

        Files.writeString(merges, goodMerges.replaceFirst("\n(\\S+) (\\S+)\n", "\n$1 $2 x\n"));
        assertError(dir, merges + " line 2: expected two tokens separated by one space, got \"" + firstMerge(goodMerges) + " x\"");
        Files.writeString(merges, goodMerges + "Ġzz q\n");
        int last = goodMerges.split("\n").length + 1;
        assertError(dir, merges + " line " + last + ": \"Ġzz\" (of the merge \"Ġzz q\") is not in vocab.json");
        Files.writeString(merges, goodMerges + "q z\n");
        assertError(dir, merges + " line " + last + ": the merge \"q z\" makes \"qz\", which vocab.json does not have");
        Files.writeString(merges, goodMerges + firstMerge(goodMerges) + "\n");
        assertError(dir, merges + " line " + last + ": the merge \"" + firstMerge(goodMerges) + "\" was already given on line 2");
        Files.write(merges, new byte[] {'#', 'v', 'e', 'r', 's', 'i', 'o', 'n', '\n', 'a', ' ', (byte) 0xff, '\n'});
        assertError(dir, merges + " line 2: not UTF-8 text");
        Files.writeString(merges, goodMerges);

        Files.writeString(vocab, "{\n\"<s>\": 0,\n\"<pad>\": 0\n}");
        assertError(dir, vocab + " line 3: id 0 is given to both \"<s>\" and \"<pad>\"");
        Files.writeString(vocab, "{\n\"<s>\": 0,\n\"<pad>\": \"one\"\n}");
        assertError(dir, vocab + " line 3: token \"<pad>\" has id one, expected a non-negative integer");
        Files.writeString(vocab, "{\n\"<s>\": 0,\n\"<pad>\": 2\n}");
        assertError(dir, vocab + ": ids must run from 0 to 1 without gaps, but id 1 is missing");
        Files.writeString(vocab, "{\n\"<s>\": 0,\n\"<pad>\" 1\n}");
        assertThatThrownBy(() -> ByteLevelBpeTokenizerFile.read(dir)).hasMessageStartingWith(vocab + " line 3: not valid JSON: ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        Files.writeString(vocab, "{\"a\": 0}");
        assertError(dir, vocab + ": the byte-level symbol \"Ā\" of byte 0 is not a token (every byte needs one: is this a byte-level BPE vocabulary?)");
        Files.writeString(vocab, goodVocab);

        Path special = dir.resolve("special_tokens_map.json");
        Files.writeString(special, "{\"eos_token\": 5}");
        assertError(dir, special + ": eos_token should be a token (a string, or an object with \"content\"), got 5");
        Files.writeString(special, "{\n\"eos_token\": \"</s>\",,\n}");
        assertThatThrownBy(() -> ByteLevelBpeTokenizerFile.read(dir)).hasMessageStartingWith(special + " line 2: not valid JSON: ");
    }

    private static void assertError(Path dir, String message) {
        assertThatThrownBy(() -> ByteLevelBpeTokenizerFile.read(dir)).isInstanceOf(IOException.class).hasMessage(message);
    }

    private static String firstMerge(String merges) {
        return merges.split("\n")[1];
    }

    private Path copy(String name) throws IOException, URISyntaxException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        try (var files = Files.list(resource(""))) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName().toString()));
        }
        return dir;
    }

    private static Path resource(String file) throws URISyntaxException {
        var url = ByteLevelBpeTokenizerFileTest.class.getClassLoader().getResource("tokenizer/opt-tiny/" + file);
        if (url == null) throw new IllegalStateException("tokenizer/opt-tiny/" + file + ": missing test resource (run src/test/python/byte_level_bpe_reference.py)");
        return Path.of(url.toURI());
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asLong();
        return out;
    }

    private static String[] strings(JsonNode array) {
        String[] out = new String[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asText();
        return out;
    }
}
