package io.narrator.model.family;

import ai.djl.ndarray.types.Shape;
import io.narrator.model.Flamingo;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.checkpoint.CheckpointException;
import io.narrator.model.checkpoint.MappedCheckpoint;
import io.narrator.model.checkpoint.TensorInfo;
import io.narrator.model.checkpoint.WeightMismatchException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An imported checkpoint against the model its translated config describes, before anything is written: every tensor
 * the model needs present with its shape and a float type, nothing left over. The differences are reported all at once
 * ({@link WeightMismatchException}), each tensor by its Narrator name and the released name it comes from.
 */
final class WeightCheck {
    private WeightCheck() {}

    /**
     * @param weights the released tensors in Narrator's names
     * @param mappings the tables' results: the released names no rule matched, and the released name of a missing tensor
     * @param optional model tensors that may be missing (they have a default on load)
     */
    static void check(FlamingoConfig config, MappedCheckpoint weights, List<TensorTable.Mapping> mappings, Set<String> optional)
            throws CheckpointException {
        Map<String, Shape> expected = new Flamingo(config).expectedShapes();
        List<String> missing = new ArrayList<>();
        for (String name : expected.keySet()) {
            if (weights.contains(name) || optional.contains(name)) continue;
            List<String> released = new ArrayList<>();
            for (TensorTable.Mapping m : mappings)
                for (String r : m.releasedNamesOf(name)) if (!r.equals(name) && !released.contains(r)) released.add(r);
            missing.add(released.isEmpty() ? name : name + " (released as " + String.join(" or ", released) + ")");
        }
        List<String> unexpected = new ArrayList<>();
        for (TensorTable.Mapping m : mappings) for (String name : m.unexpected()) unexpected.add(name + " in " + m.source().source());
        List<String> misshapen = new ArrayList<>();
        for (String name : weights.names()) {
            String from = from(weights, name);
            Shape shape = expected.get(name);
            if (shape == null) {
                MappedCheckpoint.Entry e = weights.entry(name);
                unexpected.add((from.isEmpty() ? name : e.sourceName() + " (as " + name + ")") + " in " + e.source().source());
                continue;
            }
            TensorInfo info = weights.info(name);
            if (!Arrays.equals(info.shape(), shape.getShape()))
                misshapen.add("tensor " + name + from + " has shape " + Arrays.toString(info.shape()) + " but the config needs "
                        + Arrays.toString(shape.getShape()));
            else if (!info.dtype().isFloatingPoint())
                misshapen.add("tensor " + name + from + " holds " + info.dtype() + " values but the model needs floating point ones");
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !misshapen.isEmpty())
            throw new WeightMismatchException(weights.source(), missing, unexpected, misshapen, expected.size());
    }

    /** " (from RELEASED)" when the tensor was renamed, else "". */
    private static String from(MappedCheckpoint weights, String name) throws CheckpointException {
        String source = weights.entry(name).sourceName();
        return source.equals(name) ? "" : " (from " + source + ")";
    }
}
