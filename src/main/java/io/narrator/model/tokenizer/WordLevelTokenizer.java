package io.narrator.model.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.model.FlamingoConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Writes a word-level Hugging Face {@code tokenizer.json} for a small closed vocabulary (the bundled model's
 * world): lower-casing, whitespace/punctuation pre-tokenisation, one id per word, and the special tokens
 * {@code <pad>} 0, {@code <unk>} 1, {@code <|endoftext|>} 2, {@code <image>} 3, {@code <|endofchunk|>} 4.
 */
public final class WordLevelTokenizer {
    public static final String PAD = "<pad>";
    public static final String UNK = "<unk>";
    public static final String EOS = "<|endoftext|>";
    private static final List<String> SPECIAL = List.of(PAD, UNK, EOS, NarratorTokenizer.IMAGE, NarratorTokenizer.END_OF_CHUNK);

    private WordLevelTokenizer() {}

    /** The special token ids this tokenizer assigns. */
    public static FlamingoConfig.SpecialTokens specialTokens() {
        return new FlamingoConfig.SpecialTokens(3, 4, 2, 0);
    }

    /** The vocabulary (special tokens first, then the words sorted) for the given words. */
    public static Map<String, Integer> vocabulary(Iterable<String> words) {
        SortedSet<String> sorted = new TreeSet<>();
        for (String w : words) {
            String word = w.toLowerCase(java.util.Locale.ROOT).trim();
            if (word.isEmpty() || word.contains(" ")) throw new IllegalArgumentException("not a single word: \"" + w + "\"");
            if (!SPECIAL.contains(word)) sorted.add(word);
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String s : SPECIAL) vocab.put(s, vocab.size());
        for (String w : sorted) vocab.put(w, vocab.size());
        return vocab;
    }

    /** Writes {@code tokenizer.json} for the words (the prompt words "output" and ":" are always included). */
    public static Map<String, Integer> write(Path file, Iterable<String> words) throws IOException {
        TreeSet<String> all = new TreeSet<>();
        words.forEach(all::add);
        all.add("output");
        all.add(":");
        Map<String, Integer> vocab = vocabulary(all);
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String s : SPECIAL) {
            ObjectNode t = added.addObject();
            t.put("id", vocab.get(s));
            t.put("content", s);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putObject("normalizer").put("type", "Lowercase");
        root.putObject("pre_tokenizer").put("type", "Whitespace");
        root.putNull("post_processor");
        root.putNull("decoder");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        model.put("unk_token", UNK);
        Files.createDirectories(file.toAbsolutePath().getParent());
        json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
        return vocab;
    }
}
