package io.narrator.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The flamingo-mini checkpoint fixtures under src/test/resources/checkpoints/ (written by
 * src/test/python/flamingo_fixtures.py; its README lists every convention) and their reference outputs.
 */
final class FlamingoFixtures {
    static final ObjectMapper JSON = new ObjectMapper();

    private FlamingoFixtures() {}

    /** The fixtures' root folder. */
    static Path root() {
        try {
            return Path.of(FlamingoFixtures.class.getResource("/checkpoints/README.md").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path dir(String name) {
        return root().resolve(name);
    }

    /** {@code reference/NAME}. */
    static JsonNode reference(String name) {
        try {
            return JSON.readTree(Files.readString(root().resolve("reference").resolve(name)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static float[] floats(JsonNode n) {
        float[] out = new float[n.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) n.get(i).asDouble();
        return out;
    }

    static double[] doubles(JsonNode n) {
        double[] out = new double[n.size()];
        for (int i = 0; i < out.length; i++) out[i] = n.get(i).asDouble();
        return out;
    }

    static long[] longs(JsonNode n) {
        long[] out = new long[n.size()];
        for (int i = 0; i < out.length; i++) out[i] = n.get(i).asLong();
        return out;
    }

    /**
     * A copy of a fixture folder under {@code tmp} without the files named in {@code leaveOut} (a CLIP repo with only its
     * {@code .bin}, a release without its weights, …).
     */
    static Path copyWithout(Path from, Path tmp, String... leaveOut) throws IOException {
        Path to = Files.createDirectories(tmp.resolve(from.getFileName() + "-without-" + String.join("-", leaveOut)));
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (java.util.Arrays.asList(leaveOut).contains(f.getFileName().toString())) continue;
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }
}
