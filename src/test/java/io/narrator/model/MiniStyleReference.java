package io.narrator.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.model.generate.Media;
import io.narrator.model.nn.Attention;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The flamingo-mini-style model directory under src/test/resources/reference/ (made by
 * src/test/python/model_variants_reference.py) loaded in a dtype, with its reference numbers: the media (pixels
 * encoded by the model), the prompt cases with their token ids, logits and greedy tokens.
 */
final class MiniStyleReference implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final FlamingoModel model;
    final JsonNode reference;
    final Map<String, Media> media = new HashMap<>();

    private MiniStyleReference(FlamingoModel model, JsonNode reference) {
        this.model = model;
        this.reference = reference;
        int s = model.config().vision().imageSize();
        reference.get("media").properties().forEach(e -> {
            float[] pixels = JSON.convertValue(e.getValue().get("values"), float[].class);
            media.put(e.getKey(), new Media(model.encodePixels(pixels, pixels.length / (3 * s * s))));
        });
    }

    static Path dir() throws URISyntaxException {
        return Path.of(MiniStyleReference.class.getResource("/reference/flamingo-mini-style/config.json").toURI()).getParent();
    }

    static MiniStyleReference load(ModelDtype dtype) throws IOException, URISyntaxException {
        Path dir = dir();
        return new MiniStyleReference(FlamingoModel.load(ModelDirectory.of(dir), Device.cpu(), dtype),
                JSON.readTree(Files.readString(dir.resolve("reference.json"))));
    }

    List<JsonNode> cases() {
        List<JsonNode> out = new ArrayList<>();
        reference.get("cases").forEach(out::add);
        return out;
    }

    List<Media> mediaOf(JsonNode c) {
        List<Media> out = new ArrayList<>();
        for (JsonNode n : c.get("media")) out.add(media.get(n.asText()));
        return out;
    }

    /** Each case's logits (T, W) in float32, from one forward pass over the cases left-padded together. */
    List<float[][]> logits(NDManager m, List<JsonNode> cases) {
        Flamingo f = model.block();
        List<List<NDArray>> rowMedia = new ArrayList<>();
        List<long[]> ids = new ArrayList<>();
        for (JsonNode c : cases) {
            List<NDArray> row = new ArrayList<>();
            for (Media item : mediaOf(c)) row.add(array(m, item));
            rowMedia.add(row);
            ids.add(JSON.convertValue(c.get("ids"), long[].class));
        }
        int t = ids.stream().mapToInt(a -> a.length).max().orElseThrow();
        long[] flat = new long[ids.size() * t];
        int[][] mask = new int[ids.size()][t];
        for (int r = 0; r < ids.size(); r++) {
            int offset = t - ids.get(r).length;
            Arrays.fill(flat, r * t, r * t + offset, model.config().specialTokens().pad());
            System.arraycopy(ids.get(r), 0, flat, r * t + offset, ids.get(r).length);
            Arrays.fill(mask[r], offset, t, 1);
        }
        FlamingoState state = f.start(m, f.visualTokens(m, rowMedia), false);
        float[] all = float32(f.forward(m.create(flat, new Shape(ids.size(), t)), mask, state)); // (B, T, W)
        int w = model.config().text().vocabSize();
        List<float[][]> out = new ArrayList<>();
        for (int r = 0; r < ids.size(); r++) {
            int n = ids.get(r).length;
            out.add(rows(Arrays.copyOfRange(all, (r * t + t - n) * w, (r + 1) * t * w), n));
        }
        return out;
    }

    /** One media item's frames as (F, P, Dv). */
    static NDArray array(NDManager m, Media item) {
        int p = item.frames().get(0).patches();
        int d = item.frames().get(0).dim();
        float[] all = new float[item.frames().size() * p * d];
        for (int i = 0; i < item.frames().size(); i++) System.arraycopy(item.frames().get(i).values(), 0, all, i * p * d, p * d);
        return m.create(all, new Shape(item.frames().size(), p, d));
    }

    static float[][] rows(float[] flat, int n) {
        int w = flat.length / n;
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = Arrays.copyOfRange(flat, i * w, (i + 1) * w);
        return out;
    }

    static float[] float32(NDArray x) {
        return Attention.inType(x, DataType.FLOAT32).toFloatArray();
    }

    @Override
    public void close() {
        model.close();
    }
}
