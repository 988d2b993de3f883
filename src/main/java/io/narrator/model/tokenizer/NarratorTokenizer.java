package io.narrator.model.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.NativeLibraries;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * The model's tokenizer: a Hugging Face {@code tokenizer.json} (any model type: the bundled model uses a
 * word-level vocabulary, a real GPT-2 its BPE) loaded through DJL, plus the special token ids from the
 * model config. Encoding never adds tokens of its own: prompts spell out {@code <image>} and
 * {@code <|endofchunk|>} where they belong.
 */
public final class NarratorTokenizer implements AutoCloseable {
    /** Marks the position of a media item in the text. */
    public static final String IMAGE = "<image>";
    /** Ends each in-context example and stops generation. */
    public static final String END_OF_CHUNK = "<|endofchunk|>";

    private final HuggingFaceTokenizer hf;
    private final FlamingoConfig.SpecialTokens special;

    private NarratorTokenizer(HuggingFaceTokenizer hf, FlamingoConfig.SpecialTokens special) {
        this.hf = hf;
        this.special = special;
    }

    private static final Map<String, String> OPTIONS = Map.of("addSpecialTokens", "false", "padding", "false", "truncation", "false");

    /** Loads {@code tokenizer.json} and checks that the special tokens sit at the ids the config names. */
    public static NarratorTokenizer load(Path tokenizerJson, FlamingoConfig.SpecialTokens special) throws IOException {
        if (!Files.isRegularFile(tokenizerJson)) throw new IOException(tokenizerJson + ": no such file");
        try (InputStream in = Files.newInputStream(tokenizerJson)) {
            return load(in, tokenizerJson.toString(), special);
        }
    }

    /**
     * Loads a {@code tokenizer.json} from a stream; {@code source} names it in errors.
     *
     * @throws IOException when the file is not a usable tokenizer
     * @throws IllegalStateException when the tokenizers' native library cannot be loaded (nothing to do with the file)
     */
    public static NarratorTokenizer load(InputStream in, String source, FlamingoConfig.SpecialTokens special) throws IOException {
        NativeLibraries.requireTokenizers();
        HuggingFaceTokenizer hf;
        try {
            hf = HuggingFaceTokenizer.newInstance(in, OPTIONS);
        } catch (RuntimeException e) {
            throw new IOException(source + ": not a Hugging Face tokenizer.json: " + e.getMessage(), e);
        }
        NarratorTokenizer t = new NarratorTokenizer(hf, special);
        t.check(IMAGE, special.image(), source);
        t.check(END_OF_CHUNK, special.endOfChunk(), source);
        return t;
    }

    private void check(String token, int expected, String source) throws IOException {
        long[] ids = hf.encode(token, false, false).getIds();
        if (ids.length != 1 || ids[0] != expected) {
            hf.close();
            throw new IOException(source + ": token " + token + " encodes to " + Arrays.toString(ids)
                    + " but config.json says its id is " + expected);
        }
    }

    /** Token ids of {@code text}, nothing added. */
    public long[] encode(String text) {
        Encoding e = hf.encode(text, false, false);
        return e.getIds();
    }

    /** The text of {@code ids}, special tokens removed. */
    public String decode(long[] ids) {
        return hf.decode(ids, true).trim();
    }

    /** The text of one token, special or not. */
    public String token(long id) {
        return hf.decode(new long[] {id}, false);
    }

    public FlamingoConfig.SpecialTokens special() {
        return special;
    }

    @Override
    public void close() {
        hf.close();
    }
}
