package io.narrator.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.narrator.model.Flamingo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Moves weights between a {@link Flamingo} block and checkpoint tensors, by checkpoint name
 * ({@link Flamingo#namedParameters()} is the single mapping). Loading is strict: a missing, unexpected or
 * wrongly shaped tensor is an error naming it; the only tolerated differences are a missing
 * {@code special_token_embeddings} (taken from the LM's rows, as when starting from a plain GPT-2) and a
 * {@code lm_head.weight} that merely repeats the tied embeddings (GPT-2's {@code transformer.wte.weight}, OPT's
 * {@code model.decoder.embed_tokens.weight}). Values are set in the model's dtype.
 */
public final class ModelWeights {
    private static final String SPECIAL = "special_token_embeddings";
    private static final String LM_HEAD = "lm_head.weight";

    private ModelWeights() {}

    /** Sets every parameter of {@code model} from {@code tensors}, creating arrays on {@code manager}. */
    public static void load(Flamingo model, Map<String, Tensor> tensors, NDManager manager, String source)
            throws CheckpointException {
        Map<String, Parameter> params = model.namedParameters();
        Map<String, Shape> shapes = model.expectedShapes();
        TreeSet<String> missing = new TreeSet<>();
        for (String name : params.keySet()) if (!tensors.containsKey(name) && !name.equals(SPECIAL)) missing.add(name);
        if (!missing.isEmpty())
            throw new CheckpointException(source + ": missing tensor" + (missing.size() > 1 ? "s " : " ") + String.join(", ", first(missing))
                    + " (the config describes a model with " + params.size() + " tensors)");
        TreeSet<String> unexpected = new TreeSet<>();
        for (String name : tensors.keySet()) if (!params.containsKey(name) && !name.equals(LM_HEAD)) unexpected.add(name);
        if (!unexpected.isEmpty())
            throw new CheckpointException(source + ": unexpected tensor" + (unexpected.size() > 1 ? "s " : " ")
                    + String.join(", ", first(unexpected)) + " (not part of the model that config.json describes)");
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            String name = e.getKey();
            Tensor t = tensors.get(name);
            if (t == null) continue;
            Shape expected = shapes.get(name);
            if (!Arrays.equals(expected.getShape(), t.shape()))
                throw new CheckpointException(source + ": tensor " + name + " has shape " + Arrays.toString(t.shape())
                        + " but the config needs " + Arrays.toString(expected.getShape()));
        }
        Tensor head = tensors.get(LM_HEAD);
        Shape tied = shapes.get(model.lm().tokenEmbeddingsName());
        if (head != null && !Arrays.equals(head.shape(), tied.getShape()))
            throw new CheckpointException(source + ": tensor " + LM_HEAD + " has shape " + Arrays.toString(head.shape())
                    + " but the tied head needs " + Arrays.toString(tied.getShape()));
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            Tensor t = tensors.get(e.getKey());
            if (t == null) continue;
            NDArray array = manager.create(t.values(), new Shape(t.shape()));
            if (array.getDataType() != model.dataType()) {
                NDArray converted = array.toType(model.dataType(), false);
                array.close(); // the float32 copy is not kept
                array = converted;
            }
            set(e.getValue(), array);
        }
        if (!tensors.containsKey(SPECIAL) && params.containsKey(SPECIAL)) {
            Parameter special = params.get(SPECIAL);
            set(special, manager.zeros(shapes.get(SPECIAL), model.dataType()));
            model.resetSpecialTokenEmbeddings();
        }
    }

    /** Every parameter as a checkpoint tensor, in the model's declaration order. */
    public static List<Tensor> tensors(Flamingo model) {
        List<Tensor> out = new ArrayList<>();
        model.namedParameters().forEach((name, p) -> {
            NDArray a = p.getArray();
            out.add(new Tensor(name, a.getShape().getShape(), a.toFloatArray()));
        });
        return out;
    }

    private static void set(Parameter p, NDArray array) {
        if (p.isInitialized()) {
            // replacing a value (e.g. random init) keeps the Parameter object, which optimizers key on
            p.getArray().intern(array);
        } else {
            p.setArray(array);
        }
    }

    private static List<String> first(TreeSet<String> names) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            if (out.size() == 5) {
                out.add("… (" + (names.size() - 5) + " more)");
                break;
            }
            out.add(n);
        }
        return out;
    }
}
