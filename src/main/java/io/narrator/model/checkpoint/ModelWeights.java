package io.narrator.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
 * ({@link Flamingo#namedParameters()} is the single mapping). Loading streams one tensor at a time from a
 * {@link Checkpoint} straight into the engine, and is strict: every missing, unexpected or wrongly shaped tensor is
 * named, all of them at once ({@link WeightMismatchException}), before anything is read. The only tolerated
 * differences are a missing {@code special_token_embeddings} (taken from the LM's rows, as when starting from a plain
 * GPT-2) and a {@code lm_head.weight} that merely repeats the tied embeddings.
 */
public final class ModelWeights {
    private static final String SPECIAL = "special_token_embeddings";
    private static final String LM_HEAD = "lm_head.weight";
    private static final String TIED_EMBEDDINGS = "transformer.wte.weight";

    private ModelWeights() {}

    /** Sets every parameter of {@code model} from {@code weights} as float32 arrays on {@code manager}. */
    public static void load(Flamingo model, Checkpoint weights, NDManager manager) throws CheckpointException {
        load(model, weights, manager, DataType.FLOAT32);
    }

    /**
     * Sets every parameter of {@code model} from {@code weights}, read as {@code type} (FLOAT32, or FLOAT16; see
     * {@link Checkpoint#read(String, NDManager, DataType)}) into arrays on {@code manager}, one tensor at a time.
     */
    public static void load(Flamingo model, Checkpoint weights, NDManager manager, DataType type) throws CheckpointException {
        Map<String, Parameter> params = model.namedParameters();
        Map<String, Shape> shapes = model.expectedShapes();
        check(weights, params, shapes);
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            if (!weights.contains(e.getKey())) continue;
            set(e.getValue(), weights.read(e.getKey(), manager, type));
        }
        if (!weights.contains(SPECIAL)) {
            set(params.get(SPECIAL), manager.zeros(shapes.get(SPECIAL), type));
            model.resetSpecialTokenEmbeddings();
        }
    }

    /** Sets every parameter of {@code model} from in-memory {@code tensors}; {@code source} names them in errors. */
    public static void load(Flamingo model, Map<String, Tensor> tensors, NDManager manager, String source) throws CheckpointException {
        load(model, Checkpoint.of(source, tensors.values()), manager);
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

    /** Every difference between the checkpoint and the model, all at once. */
    private static void check(Checkpoint weights, Map<String, Parameter> params, Map<String, Shape> shapes) throws CheckpointException {
        TreeSet<String> missing = new TreeSet<>();
        for (String name : params.keySet()) if (!weights.contains(name) && !name.equals(SPECIAL)) missing.add(name);
        TreeSet<String> unexpected = new TreeSet<>();
        for (String name : weights.names()) if (!params.containsKey(name) && !name.equals(LM_HEAD)) unexpected.add(name);
        List<String> misshapen = new ArrayList<>();
        for (String name : params.keySet()) {
            if (!weights.contains(name)) continue;
            TensorInfo info = weights.info(name);
            long[] expected = shapes.get(name).getShape();
            if (!Arrays.equals(expected, info.shape()))
                misshapen.add("tensor " + name + " has shape " + Arrays.toString(info.shape()) + " but the config needs " + Arrays.toString(expected));
            else if (!info.dtype().isFloatingPoint())
                misshapen.add("tensor " + name + " holds " + info.dtype() + " values but the model needs floating point ones");
        }
        if (weights.contains(LM_HEAD) && shapes.containsKey(TIED_EMBEDDINGS)) {
            long[] head = weights.info(LM_HEAD).shape();
            long[] tied = shapes.get(TIED_EMBEDDINGS).getShape();
            if (!Arrays.equals(head, tied))
                misshapen.add("tensor " + LM_HEAD + " has shape " + Arrays.toString(head) + " but the tied head needs " + Arrays.toString(tied));
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !misshapen.isEmpty())
            throw new WeightMismatchException(weights.source(), new ArrayList<>(missing), new ArrayList<>(unexpected), misshapen,
                    params.size());
    }

    private static void set(Parameter p, NDArray array) {
        if (p.isInitialized()) {
            // replacing a value (e.g. random init) keeps the Parameter object, which optimizers key on
            p.getArray().intern(array);
        } else {
            p.setArray(array);
        }
    }
}
