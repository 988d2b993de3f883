package io.narrator.model.family;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * One JSON object of a released model's files ({@code config.json}, {@code preprocessor_config.json}, …) read with
 * the checks an import needs: every error is one line naming the file and the key, and what was expected.
 */
final class HubJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String file;
    private final String prefix;
    private final JsonNode node;

    private HubJson(String file, String prefix, JsonNode node) {
        this.file = file;
        this.prefix = prefix;
        this.node = node;
    }

    /** Reads {@code file}; {@code what} says what it should be, for the error when it is missing. */
    static HubJson read(Path file, String what) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file (" + what + ")");
        }
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON (line " + e.getLocation().getLineNr() + "): " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) throw new IOException(file + ": expected a JSON object (" + what + ")");
        return new HubJson(file.toString(), "", node);
    }

    /** The file, for messages. */
    String file() {
        return file;
    }

    boolean has(String key) {
        return node.has(key) && !node.get(key).isNull();
    }

    /** A nested object ({@code vision_config}); absent or null is an error. */
    HubJson object(String key) throws IOException {
        JsonNode n = node.get(key);
        if (n == null || !n.isObject()) throw error(key, "must be a JSON object", n);
        return new HubJson(file, prefix + key + ".", n);
    }

    /** A nested object, or null when absent or null. */
    HubJson objectOrNull(String key) throws IOException {
        return has(key) ? object(key) : null;
    }

    /** The same file with {@code override}'s keys replacing this object's (a CLIPConfig's {@code vision_config_dict}). */
    HubJson overriddenBy(HubJson override) {
        if (override == null) return this;
        var merged = node.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) merged).setAll((com.fasterxml.jackson.databind.node.ObjectNode) override.node);
        return new HubJson(file, prefix, merged);
    }

    String text(String key) throws IOException {
        JsonNode n = node.get(key);
        if (n == null || n.isNull()) throw missing(key);
        if (!n.isTextual() || n.asText().isBlank()) throw error(key, "must be a non-empty string", n);
        return n.asText();
    }

    String text(String key, String fallback) throws IOException {
        return has(key) ? text(key) : fallback;
    }

    int integer(String key) throws IOException {
        JsonNode n = node.get(key);
        if (n == null || n.isNull()) throw missing(key);
        if (!n.canConvertToInt() || !n.isIntegralNumber()) throw error(key, "must be an integer", n);
        return n.asInt();
    }

    int integer(String key, int fallback) throws IOException {
        return has(key) ? integer(key) : fallback;
    }

    /** A required integer ≥ 1. */
    int positive(String key) throws IOException {
        int v = integer(key);
        if (v < 1) throw error(key, "must be a positive integer", node.get(key));
        return v;
    }

    /** An integer ≥ 1, {@code fallback} when absent. */
    int positive(String key, int fallback) throws IOException {
        return has(key) ? positive(key) : fallback;
    }

    double number(String key, double fallback) throws IOException {
        if (!has(key)) return fallback;
        JsonNode n = node.get(key);
        if (!n.isNumber()) throw error(key, "must be a number", n);
        return n.asDouble();
    }

    boolean bool(String key, boolean fallback) throws IOException {
        if (!has(key)) return fallback;
        JsonNode n = node.get(key);
        if (!n.isBoolean()) throw error(key, "must be true or false", n);
        return n.asBoolean();
    }

    /** Three numbers (a mean or std per channel), {@code fallback} when absent. */
    float[] rgb(String key, float[] fallback) throws IOException {
        if (!has(key)) return fallback;
        JsonNode n = node.get(key);
        if (!n.isArray() || n.size() != 3) throw error(key, "must be 3 numbers (R, G, B)", n);
        float[] out = new float[3];
        for (int i = 0; i < 3; i++) {
            if (!n.get(i).isNumber()) throw error(key, "must be 3 numbers (R, G, B)", n);
            out[i] = (float) n.get(i).asDouble();
        }
        return out;
    }

    /** The raw value, or null. */
    JsonNode get(String key) {
        return node.get(key);
    }

    /** An error about {@code key}: {@code FILE: "key" must …, got VALUE}. */
    IOException error(String key, String expected, JsonNode got) {
        return new IOException(file + ": \"" + prefix + key + "\" " + expected + ", got " + (got == null ? "nothing" : got.toString()));
    }

    IOException missing(String key) {
        return new IOException(file + ": has no \"" + prefix + key + "\"");
    }
}
