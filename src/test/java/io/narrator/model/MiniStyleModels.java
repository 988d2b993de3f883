package io.narrator.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.model.checkpoint.ModelDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The flamingo-mini-style model directory of the reference tests (src/test/resources/reference/flamingo-mini-style: an
 * OPT post-LN language model, a BPE tokenizer whose {@code <} tokens mark media, {@code </s>} as BOS, {@code <EOC>}),
 * and variants of it, for tests that run the commands and the streaming path with a model of flamingo-mini's family.
 */
public final class MiniStyleModels {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MiniStyleModels() {}

    /** The committed directory: {@code max_frames} 4, every frame of a clip read, interpolated past 4. */
    public static Path dir() {
        try {
            return Path.of(MiniStyleModels.class.getResource("/reference/flamingo-mini-style/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A copy of it in {@code target} whose BPE merges {@code >} and {@code <} into one token {@code ><}, as OPT's (and
     * GPT-2's) vocabulary does, in place of {@code Ġphoto} (so that the vocabulary keeps its size): {@code <image><image>}
     * then reads as one media marker, {@code <image> <image>} as two.
     */
    public static Path withAngleBracketMerge(Path target) {
        try {
            copy(target, ModelDirectory.CONFIG, ModelDirectory.WEIGHTS);
            ObjectNode tokenizer = (ObjectNode) JSON.readTree(dir().resolve(ModelDirectory.TOKENIZER).toFile());
            ObjectNode model = (ObjectNode) tokenizer.get("model");
            ObjectNode vocab = (ObjectNode) model.get("vocab");
            JsonNode id = vocab.remove("\u0120photo");
            vocab.set("><", id);
            ArrayNode merges = JSON.createArrayNode();
            for (JsonNode merge : model.get("merges")) if (!merge.asText().equals("\u0120phot o")) merges.add(merge);
            merges.add("> <");
            model.set("merges", merges);
            JSON.writeValue(target.resolve(ModelDirectory.TOKENIZER).toFile(), tokenizer);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copy(Path target, String... files) throws IOException {
        Files.createDirectories(target);
        for (String file : files) Files.copy(dir().resolve(file), target.resolve(file), StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * A copy of it in {@code target} whose resampler reads only the latest of a clip's frames ({@code frames_per_media}
     * 1), as flamingo-mini, trained on single images, reads one: a clip of any length is accepted.
     */
    public static Path readingLatestFrame(Path target) {
        try {
            copy(target, ModelDirectory.TOKENIZER, ModelDirectory.WEIGHTS);
            ObjectNode config = (ObjectNode) JSON.readTree(dir().resolve(ModelDirectory.CONFIG).toFile());
            ((ObjectNode) config.get("perceiver")).put("frames_per_media", 1);
            config.put("name", "flamingo-mini-style-latest-frame");
            JSON.writerWithDefaultPrettyPrinter().writeValue(target.resolve(ModelDirectory.CONFIG).toFile(), config);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
