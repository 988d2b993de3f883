package io.narrator.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.util.List;

/**
 * The keys of {@code config.json} that may be left out, each standing for the value of Narrator's own family
 * ({@link FlamingoConfig}'s records resolve a key read as null to that value). Reading fills the missing ones in;
 * writing leaves out every one whose value is what it would be if it were missing, so a config of Narrator's family
 * reads as it did before these keys existed.
 */
public final class ConfigDefaults {
    /** One optional key: its section ({@link #TOP} for the top level), its name, and what a missing one reads as. */
    private record Key(String section, String name, JsonNode missing) {}

    /** The section name of top-level keys. */
    private static final String TOP = "";

    private static final List<Key> KEYS = List.of(
            new Key(TOP, "source", NullNode.instance),
            new Key("vision", "conv_stem_channels", NullNode.instance),
            new Key("vision", "features", NullNode.instance),
            new Key("vision", "resample", NullNode.instance),
            new Key("vision", "crop_rounding", NullNode.instance),
            new Key("text", "model_type", TextNode.valueOf(FlamingoConfig.Gpt2.MODEL_TYPE)),
            new Key("perceiver", "kv_projection", NullNode.instance),
            new Key("perceiver", "activation", NullNode.instance),
            new Key("perceiver", "frames_policy", NullNode.instance),
            new Key("perceiver", "frames_per_media", IntNode.valueOf(0)),
            new Key("cross_attention", "placement", NullNode.instance),
            new Key("cross_attention", "activation", NullNode.instance),
            new Key("special_tokens", "media_text", NullNode.instance),
            new Key("special_tokens", "end_of_chunk_text", NullNode.instance),
            new Key("special_tokens", "media_markers", NullNode.instance),
            new Key("special_tokens", "bos", IntNode.valueOf(FlamingoConfig.SpecialTokens.NONE)),
            new Key("special_tokens", "trainable", NullNode.instance),
            new Key("special_tokens", "banned", NullNode.instance),
            new Key("generation", "text_separator", NullNode.instance),
            new Key("generation", "example_separator", NullNode.instance));

    /** Reads a config tree into a {@link FlamingoConfig} (and back), the way the caller's JSON mapper does. */
    public interface Mapper {
        FlamingoConfig read(JsonNode tree) throws IOException;

        ObjectNode write(FlamingoConfig config);
    }

    private ConfigDefaults() {}

    /** Puts every missing optional key into {@code root}'s sections (those that exist). */
    public static void fill(JsonNode root) {
        if (!(root instanceof ObjectNode)) return;
        for (Key k : KEYS)
            if (section(root, k) instanceof ObjectNode section && !section.has(k.name())) section.set(k.name(), k.missing());
    }

    private static JsonNode section(JsonNode root, Key k) {
        return k.section().equals(TOP) ? root : root.get(k.section());
    }

    /** The tree of {@code config} without the optional keys that hold the value they would take when missing. */
    public static ObjectNode written(FlamingoConfig config, Mapper mapper) throws IOException {
        ObjectNode full = mapper.write(config);
        ObjectNode out = full.deepCopy();
        for (Key k : KEYS) {
            if (!(section(out, k) instanceof ObjectNode section) || !section.has(k.name())) continue;
            ObjectNode without = out.deepCopy();
            ((ObjectNode) section(without, k)).remove(k.name());
            fill(without);
            if (readsAs(without, full, mapper)) section.remove(k.name()); // the others keep their order
        }
        return out;
    }

    /** True if {@code tree} reads as a config that writes as {@code full} (false if it does not read at all). */
    private static boolean readsAs(ObjectNode tree, ObjectNode full, Mapper mapper) {
        try {
            return mapper.write(mapper.read(tree)).equals(full);
        } catch (IOException | RuntimeException e) {
            return false; // e.g. an OPT section read as GPT-2's: the key is needed
        }
    }
}
