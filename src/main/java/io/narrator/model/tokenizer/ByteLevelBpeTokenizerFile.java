package io.narrator.model.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A GPT-2-style byte-level BPE tokenizer read from a Hugging Face repo's slow-tokenizer files ({@code vocab.json},
 * {@code merges.txt}, and the special tokens named in {@code special_tokens_map.json} and
 * {@code tokenizer_config.json}) and written as one {@code tokenizer.json} that Hugging Face tokenizers (and so
 * {@link NarratorTokenizer}) loads: the BPE model (vocabulary, merges in rank order, no unknown token, no dropout),
 * the ByteLevel pre-tokenizer (no prefix space, GPT-2's split pattern) and decoder, the special tokens and any
 * extra tokens as added tokens, and no post-processor (nothing is added to an encoding; Narrator adds BOS itself).
 * OPT's tokenizer is GPT-2's algorithm with its own ids ({@code <s> <pad> </s> <unk>} at 0..3); flamingo-mini
 * appends {@code <EOC>} at the next id, the tokenizer's size ({@link #withToken}).
 */
public final class ByteLevelBpeTokenizerFile {
    public static final String VOCAB = "vocab.json";
    public static final String MERGES = "merges.txt";
    public static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    /** Keys of the Hugging Face config files whose values name special tokens. */
    private static final List<String> SPECIAL_KEYS = List.of("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Integer> vocab;
    private final List<String[]> merges;
    /** Added tokens in the order they were added: content → (id, special). */
    private final Map<String, Added> added;

    private record Added(int id, boolean special) {}

    private ByteLevelBpeTokenizerFile(Map<String, Integer> vocab, List<String[]> merges, Map<String, Added> added) {
        this.vocab = vocab;
        this.merges = merges;
        this.added = added;
    }

    /**
     * Reads {@code vocab.json} and {@code merges.txt} from {@code dir}, and the special tokens named in its
     * {@code special_tokens_map.json} and {@code tokenizer_config.json} where those exist.
     */
    public static ByteLevelBpeTokenizerFile read(Path dir) throws IOException {
        Path vocabFile = dir.resolve(VOCAB);
        Path mergesFile = dir.resolve(MERGES);
        for (Path f : List.of(vocabFile, mergesFile))
            if (!Files.isRegularFile(f))
                throw new IOException(f + ": no such file (a byte-level BPE tokenizer needs " + VOCAB + " and " + MERGES + ")");
        Map<String, Integer> vocab = readVocab(vocabFile);
        List<String[]> merges = readMerges(mergesFile, vocab);
        ByteLevelBpeTokenizerFile t = new ByteLevelBpeTokenizerFile(vocab, merges, new LinkedHashMap<>());
        for (String name : List.of(SPECIAL_TOKENS_MAP, TOKENIZER_CONFIG)) {
            Path f = dir.resolve(name);
            if (Files.isRegularFile(f)) t = t.withSpecialTokensOf(f);
        }
        return t;
    }

    /**
     * This tokenizer with {@code content} as a special added token, matched as one token anywhere in the text (as
     * {@code tokenizer.add_tokens} makes it): at its vocabulary id if the vocabulary has it, else at {@link #size()}.
     * A token that is already added stays as it is.
     */
    public ByteLevelBpeTokenizerFile withToken(String content) {
        if (content == null || content.isEmpty()) throw new IllegalArgumentException("an added token must not be empty");
        if (added.containsKey(content)) return this;
        Map<String, Added> more = new LinkedHashMap<>(added);
        more.put(content, new Added(vocab.getOrDefault(content, size()), true));
        return new ByteLevelBpeTokenizerFile(vocab, merges, more);
    }

    /** Tokens in the vocabulary plus added tokens outside it: the id the next new token gets ({@code len(tokenizer)}). */
    public int size() {
        int outside = 0;
        for (Map.Entry<String, Added> e : added.entrySet()) if (!vocab.containsKey(e.getKey())) outside++;
        return vocab.size() + outside;
    }

    /** The id of {@code token}: an added token's, else the vocabulary's; -1 if neither has it. */
    public int id(String token) {
        Added a = added.get(token);
        if (a != null) return a.id();
        return vocab.getOrDefault(token, -1);
    }

    /** The added tokens (specials from the config files, then the extra ones) and their ids, in the order added. */
    public Map<String, Integer> addedTokens() {
        Map<String, Integer> out = new LinkedHashMap<>();
        added.forEach((k, v) -> out.put(k, v.id()));
        return Collections.unmodifiableMap(out);
    }

    /** Writes {@code tokenizer.json}. */
    public void write(Path tokenizerJson) throws IOException {
        Path parent = tokenizerJson.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Files.write(tokenizerJson, json());
    }

    /** The content of {@code tokenizer.json}: pretty-printed UTF-8 JSON. */
    public byte[] json() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode addedTokens = root.putArray("added_tokens");
        TreeMap<Integer, String> byId = new TreeMap<>();
        added.forEach((content, a) -> byId.put(a.id(), content));
        byId.forEach((id, content) -> {
            ObjectNode t = addedTokens.addObject();
            t.put("id", id);
            t.put("content", content);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", added.get(content).special());
        });
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(false));
        root.putNull("post_processor");
        root.set("decoder", byteLevel(true));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        ArrayNode m = model.putArray("merges");
        for (String[] pair : merges) m.add(pair[0] + " " + pair[1]);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    }

    /** The ByteLevel pre-tokenizer / decoder: GPT-2's split pattern, no prefix space added. */
    private static ObjectNode byteLevel(boolean decoder) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", decoder); // the decoder's flag only matters with a prefix space; true as GPT-2's file has it
        n.put("trim_offsets", true);
        n.put("use_regex", true);
        return n;
    }

    /** The token → id map of vocab.json; ids must run 0..n−1, each byte's symbol must be a token. Errors name the line. */
    static Map<String, Integer> readVocab(Path file) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        Map<Integer, String> byId = new HashMap<>();
        try (JsonParser p = new JsonFactory().createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT)
                throw new IOException(file + " line " + p.currentLocation().getLineNr() + ": expected a JSON object of token → id");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String token = p.currentName();
                int line = p.currentLocation().getLineNr();
                JsonToken value = p.nextToken();
                if (value != JsonToken.VALUE_NUMBER_INT || p.getLongValue() < 0 || p.getLongValue() > Integer.MAX_VALUE)
                    throw new IOException(file + " line " + line + ": token " + quote(token) + " has id " + p.getText()
                            + ", expected a non-negative integer");
                int id = p.getIntValue();
                if (vocab.containsKey(token)) throw new IOException(file + " line " + line + ": token " + quote(token) + " appears twice");
                String other = byId.putIfAbsent(id, token);
                if (other != null)
                    throw new IOException(file + " line " + line + ": id " + id + " is given to both " + quote(other) + " and " + quote(token));
                vocab.put(token, id);
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null)
                throw new IOException(file + " line " + p.currentLocation().getLineNr() + ": expected the end of the token → id object");
        } catch (JsonParseException e) {
            throw new IOException(file + " line " + e.getLocation().getLineNr() + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        for (int id = 0; id < vocab.size(); id++)
            if (!byId.containsKey(id))
                throw new IOException(file + ": ids must run from 0 to " + (vocab.size() - 1) + " without gaps, but id " + id + " is missing");
        for (int b = 0; b < 256; b++) {
            String symbol = String.valueOf(ByteLevel.symbol(b));
            if (!vocab.containsKey(symbol))
                throw new IOException(file + ": the byte-level symbol " + quote(symbol) + " of byte " + b
                        + " is not a token (every byte needs one: is this a byte-level BPE vocabulary?)");
        }
        // ids in order: tokenizer.json lists the vocabulary by id
        Map<String, Integer> ordered = new LinkedHashMap<>();
        for (int id = 0; id < vocab.size(); id++) ordered.put(byId.get(id), id);
        return ordered;
    }

    /** merges.txt in rank order: an optional {@code #version} first line, then one {@code left right} pair per line. */
    static List<String[]> readMerges(Path file, Map<String, Integer> vocab) throws IOException {
        List<String[]> merges = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        var utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        byte[] data = Files.readAllBytes(file);
        int lineNr = 0;
        for (int start = 0; start < data.length; ) {
            int end = start;
            while (end < data.length && data[end] != '\n') end++;
            lineNr++;
            int len = end - start;
            if (len > 0 && data[end - 1] == '\r') len--;
            String line;
            try {
                line = utf8.decode(ByteBuffer.wrap(data, start, len)).toString();
            } catch (CharacterCodingException e) {
                throw new IOException(file + " line " + lineNr + ": not UTF-8 text", e);
            }
            start = end + 1;
            if (lineNr == 1 && line.startsWith("#version")) continue;
            if (line.isEmpty()) continue;
            String[] pair = line.split(" ", -1);
            if (pair.length != 2 || pair[0].isEmpty() || pair[1].isEmpty())
                throw new IOException(file + " line " + lineNr + ": expected two tokens separated by one space, got " + quote(line));
            for (String part : pair)
                if (!vocab.containsKey(part))
                    throw new IOException(file + " line " + lineNr + ": " + quote(part) + " (of the merge " + quote(line) + ") is not in " + VOCAB);
            if (!vocab.containsKey(pair[0] + pair[1]))
                throw new IOException(file + " line " + lineNr + ": the merge " + quote(line) + " makes " + quote(pair[0] + pair[1])
                        + ", which " + VOCAB + " does not have");
            Integer before = seen.putIfAbsent(line, lineNr);
            if (before != null)
                throw new IOException(file + " line " + lineNr + ": the merge " + quote(line) + " was already given on line " + before);
            merges.add(pair);
        }
        return merges;
    }

    /** This tokenizer with the special tokens a Hugging Face config file names added. */
    private ByteLevelBpeTokenizerFile withSpecialTokensOf(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonParseException e) {
            throw new IOException(file + " line " + e.getLocation().getLineNr() + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) throw new IOException(file + ": expected a JSON object");
        ByteLevelBpeTokenizerFile t = this;
        JsonNode decoderTable = root.get("added_tokens_decoder"); // newer tokenizer_config.json: id → token with its id
        if (decoderTable != null && decoderTable.isObject()) {
            for (var it = decoderTable.properties().iterator(); it.hasNext(); ) {
                var e = it.next();
                String content = content(e.getValue(), file, "added_tokens_decoder." + e.getKey());
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException nfe) {
                    throw new IOException(file + ": added_tokens_decoder key " + quote(e.getKey()) + " is not an id");
                }
                t = t.withTokenAt(content, id, file);
            }
        }
        for (String key : SPECIAL_KEYS) {
            JsonNode v = root.get(key);
            if (v != null && !v.isNull()) t = t.withToken(content(v, file, key));
        }
        JsonNode more = root.get("additional_special_tokens");
        if (more != null && more.isArray())
            for (int i = 0; i < more.size(); i++)
                t = t.withToken(content(more.get(i), file, "additional_special_tokens[" + i + "]"));
        return t;
    }

    /** A token that {@code added_tokens_decoder} places at an explicit id, which must agree with the vocabulary. */
    private ByteLevelBpeTokenizerFile withTokenAt(String content, int id, Path file) throws IOException {
        Integer inVocab = vocab.get(content);
        if (inVocab != null && inVocab != id)
            throw new IOException(file + ": added_tokens_decoder puts " + quote(content) + " at id " + id + " but " + VOCAB + " has it at " + inVocab);
        for (Map.Entry<String, Added> e : added.entrySet())
            if (e.getValue().id() == id && !e.getKey().equals(content))
                throw new IOException(file + ": added_tokens_decoder puts " + quote(content) + " at id " + id + ", already " + quote(e.getKey()));
        if (inVocab == null) {
            for (Map.Entry<String, Integer> e : vocab.entrySet())
                if (e.getValue() == id)
                    throw new IOException(file + ": added_tokens_decoder puts " + quote(content) + " at id " + id + ", which is " + quote(e.getKey())
                            + " in " + VOCAB);
        }
        if (added.containsKey(content)) return this;
        Map<String, Added> more = new LinkedHashMap<>(added);
        more.put(content, new Added(id, true));
        return new ByteLevelBpeTokenizerFile(vocab, merges, more);
    }

    /** The token text of a config value: a string, or an AddedToken object's {@code content}. */
    private static String content(JsonNode v, Path file, String key) throws IOException {
        if (v.isTextual() && !v.asText().isEmpty()) return v.asText();
        if (v.isObject() && v.path("content").isTextual() && !v.path("content").asText().isEmpty()) return v.path("content").asText();
        throw new IOException(file + ": " + key + " should be a token (a string, or an object with \"content\"), got " + v);
    }

    private static String quote(String s) {
        return "\"" + s.replace("\n", "\\n").replace("\t", "\\t") + "\"";
    }
}
