package io.narrator.model.family;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.model.NativeLibraries;
import io.narrator.model.tokenizer.ByteLevelBpeTokenizerFile;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * The {@code tokenizer.json} an import writes, made from what a release's tokenizer comes as — a {@code tokenizer.json}
 * file, a folder holding one, or a folder with a GPT-2-style {@code vocab.json} and {@code merges.txt} (OPT's) — with the
 * tokens the family added (flamingo-mini's {@code <EOC>}; OpenFlamingo's {@code <|endofchunk|>}, {@code <image>} and
 * {@code <PAD>}), each one a special token at the tokenizer's size when it does not have it yet, in order, as
 * {@code tokenizer.add_tokens} and {@code add_special_tokens} do. It also encodes text, for the ids a family's config
 * needs.
 */
final class ImportTokenizer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> OPTIONS = Map.of("addSpecialTokens", "false", "padding", "false", "truncation", "false");

    private final byte[] json;
    private final String description;
    private final HuggingFaceTokenizer hf;

    private ImportTokenizer(byte[] json, String description, HuggingFaceTokenizer hf) {
        this.json = json;
        this.description = description;
        this.hf = hf;
    }

    /** Reads the tokenizer at {@code source} (a tokenizer.json, or a folder) and adds each of {@code tokens} it lacks, in order. */
    static ImportTokenizer of(Path source, String... tokens) throws IOException {
        byte[] json;
        String description;
        if (Files.isRegularFile(source) || Files.isDirectory(source) && Files.isRegularFile(source.resolve("tokenizer.json"))) {
            Path file = Files.isRegularFile(source) ? source : source.resolve("tokenizer.json");
            json = Files.readAllBytes(file);
            for (String token : tokens) json = withToken(json, token, file.toString());
            description = file.toString();
        } else if (Files.isDirectory(source)) {
            if (!Files.isRegularFile(source.resolve(ByteLevelBpeTokenizerFile.VOCAB)) || !Files.isRegularFile(source.resolve(ByteLevelBpeTokenizerFile.MERGES)))
                throw new IOException(source + " has no tokenizer: it holds neither tokenizer.json nor " + ByteLevelBpeTokenizerFile.VOCAB
                        + " and " + ByteLevelBpeTokenizerFile.MERGES);
            ByteLevelBpeTokenizerFile file = ByteLevelBpeTokenizerFile.read(source);
            for (String token : tokens) file = file.withToken(token);
            json = file.json();
            description = source.resolve(ByteLevelBpeTokenizerFile.VOCAB) + " and " + ByteLevelBpeTokenizerFile.MERGES;
        } else {
            throw new IOException(source + ": no such file or directory (the tokenizer: a tokenizer.json, or a folder with "
                    + "tokenizer.json or " + ByteLevelBpeTokenizerFile.VOCAB + " and " + ByteLevelBpeTokenizerFile.MERGES + ")");
        }
        NativeLibraries.requireTokenizers();
        HuggingFaceTokenizer hf;
        try {
            hf = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), OPTIONS);
        } catch (RuntimeException e) {
            throw new IOException(description + ": not a Hugging Face tokenizer: " + e.getMessage(), e);
        }
        return new ImportTokenizer(json, description, hf);
    }

    /** The tokenizer.json content to write. */
    byte[] json() {
        return json;
    }

    /** Where it came from, for messages. */
    String description() {
        return description;
    }

    /** The ids of {@code text}, nothing added. */
    long[] encode(String text) {
        return hf.encode(text, false, false).getIds();
    }

    /** The id of {@code token} when it encodes as exactly one token, else -1. */
    int tokenId(String token) {
        long[] ids = encode(token);
        return ids.length == 1 ? (int) ids[0] : -1;
    }

    /**
     * The tokenizer's length as Hugging Face's {@code len(tokenizer)} counts it (its vocabulary and its added tokens, when
     * their ids leave no gap): one past the largest id.
     */
    int size() throws IOException {
        return Math.toIntExact(largestId(JSON.readTree(json), description) + 1);
    }

    @Override
    public void close() {
        hf.close();
    }

    /**
     * {@code json} with {@code token} added as a special token at the tokenizer's size (one past its largest id) when
     * neither its vocabulary nor its added tokens have it.
     */
    static byte[] withToken(byte[] json, String token, String source) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IOException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof ObjectNode obj) || !root.path("model").isObject())
            throw new IOException(source + ": not a Hugging Face tokenizer.json (no \"model\" object)");
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject() && vocab.has(token)) return json;
        if (vocab.isArray()) for (JsonNode pair : vocab) if (pair.path(0).asText().equals(token)) return json;
        JsonNode added = root.path("added_tokens");
        if (added.isArray()) for (JsonNode t : added) if (token.equals(t.path("content").asText())) return json;
        long largest = largestId(root, source);
        ArrayNode list = added.isArray() ? (ArrayNode) added : obj.putArray("added_tokens");
        ObjectNode t = list.addObject();
        t.put("id", largest + 1);
        t.put("content", token);
        t.put("single_word", false);
        t.put("lstrip", false);
        t.put("rstrip", false);
        t.put("normalized", false);
        t.put("special", true);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    }

    /** The largest id of a tokenizer.json's vocabulary and added tokens. */
    private static long largestId(JsonNode root, String source) throws IOException {
        JsonNode vocab = root.path("model").path("vocab");
        long largest = -1;
        if (vocab.isObject()) {
            for (Iterator<JsonNode> it = vocab.elements(); it.hasNext(); ) largest = Math.max(largest, it.next().asLong());
        } else if (vocab.isArray()) { // a Unigram vocabulary: [token, score] pairs, ids by position
            largest = vocab.size() - 1;
        } else {
            throw new IOException(source + ": the tokenizer's model has no vocabulary");
        }
        JsonNode added = root.path("added_tokens");
        if (added.isArray()) for (JsonNode t : added) largest = Math.max(largest, t.path("id").asLong());
        return largest;
    }
}
