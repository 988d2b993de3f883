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
 * word-level vocabulary, a real GPT-2 or OPT its BPE) loaded through DJL, plus the special token ids from the
 * model config. {@link #encode} never adds tokens of its own: prompts spell out the media text ({@code <image>}) and
 * the end of chunk ({@code <|endofchunk|>}, flamingo-mini's {@code <EOC>}) where they belong; {@link #encodePrompt}
 * puts the model's BOS token (if it has one) in front.
 */
public final class NarratorTokenizer implements AutoCloseable {
    /** Marks the position of a media item in Narrator's prompts. */
    public static final String IMAGE = FlamingoConfig.SpecialTokens.IMAGE_TEXT;
    /** Ends each in-context example of Narrator's prompts and stops generation. */
    public static final String END_OF_CHUNK = FlamingoConfig.SpecialTokens.END_OF_CHUNK_TEXT;

    private final HuggingFaceTokenizer hf;
    private final FlamingoConfig.SpecialTokens special;

    private NarratorTokenizer(HuggingFaceTokenizer hf, FlamingoConfig.SpecialTokens special) {
        this.hf = hf;
        this.special = special;
    }

    private static final Map<String, String> OPTIONS = Map.of("addSpecialTokens", "false", "padding", "false", "truncation", "false");

    /**
     * Loads {@code tokenizer.json} and checks it against the config: the end-of-chunk text is the one token
     * {@code end_of_chunk}; the media text is the one token {@code image}, or, when that is -1, holds exactly one media
     * marker, at the start of a text and after a space alike.
     */
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
        if (special.image() != FlamingoConfig.SpecialTokens.NONE) t.check(special.mediaText(), special.image(), source);
        else for (String text : new String[] {special.mediaText(), " " + special.mediaText()}) t.checkMarkers(text, source);
        t.check(special.endOfChunkText(), special.endOfChunk(), source);
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

    private void checkMarkers(String text, String source) throws IOException {
        long[] ids = hf.encode(text, false, false).getIds();
        if (special.countMediaMarkers(ids) != 1) {
            hf.close();
            throw new IOException(source + ": media text \"" + text + "\" encodes to " + Arrays.toString(ids) + ", which holds "
                    + special.countMediaMarkers(ids) + " of the media markers " + Arrays.toString(special.mediaMarkers())
                    + " that config.json names (it must hold exactly one)");
        }
    }

    /** Token ids of {@code text}, nothing added. */
    public long[] encode(String text) {
        Encoding e = hf.encode(text, false, false);
        return e.getIds();
    }

    /** Token ids of a prompt: the model's BOS token (when it has one), then {@link #encode}'s. */
    public long[] encodePrompt(String text) {
        long[] ids = encode(text);
        if (!special.hasBos()) return ids;
        long[] out = new long[ids.length + 1];
        out[0] = special.bos();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /**
     * The text of {@code ids} as a caption: special tokens left out, and the media text and the end-of-chunk text removed
     * where they appear as plain text (flamingo-mini's {@code <image>} and {@code <EOC>}, which its own decoding strips; one
     * of the spaces around a removed tag goes with it), trimmed.
     */
    public String decode(long[] ids) {
        String text = hf.decode(ids, true);
        for (String tag : new String[] {special.mediaText(), special.endOfChunkText()})
            text = text.replace(" " + tag + " ", " ").replace(tag, "");
        return text.strip();
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
