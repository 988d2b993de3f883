package io.narrator.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The special tokens a Hugging Face tokenizer folder names beside its {@code tokenizer.json}: {@code special_tokens_map.json},
 * else {@code tokenizer_config.json} (a token as a string, or an object with its {@code content}). Where neither file
 * names a token, it has none (as {@code AutoTokenizer} reads it: gpt-neox-20b's tokenizer has no pad token).
 */
final class TokenizerFiles {
    private static final String[] FILES = {"special_tokens_map.json", "tokenizer_config.json"};

    private TokenizerFiles() {}

    /** The pad token of the tokenizer at {@code source} (a folder, or a tokenizer.json in one), or null. */
    static String padToken(Path source) throws IOException {
        return token(source, "pad_token");
    }

    /** The end-of-sequence token, or null. */
    static String eosToken(Path source) throws IOException {
        return token(source, "eos_token");
    }

    private static String token(Path source, String key) throws IOException {
        Path dir = Files.isDirectory(source) ? source : source.toAbsolutePath().getParent();
        if (dir == null) return null;
        for (String name : FILES) {
            Path file = dir.resolve(name);
            if (!Files.isRegularFile(file)) continue;
            HubJson json = HubJson.read(file, "the tokenizer's special tokens");
            JsonNode n = json.get(key);
            if (n == null || n.isNull()) continue;
            if (n.isTextual() && !n.asText().isEmpty()) return n.asText();
            if (n.isObject() && n.path("content").isTextual()) return n.path("content").asText();
            throw json.error(key, "must be a token (a string, or an object with \"content\")", n);
        }
        return null;
    }
}
