package io.narrator.model.nn;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A DJL block whose parameters and children carry checkpoint names ({@code transformer.h.0.attn.c_attn.weight},
 * {@code perceiver.layers.0.0.to_q.weight}, …). {@link #namedParameters()} is the one place where DJL's
 * parameter tree is mapped to the Hugging Face / OpenFlamingo tensor names used in safetensors files.
 *
 * <p>Parameters are declared with their full shape and initializer, so {@link #initialize} needs no input
 * shapes. Forward passes go through typed methods of each block (they need caches and masks that an
 * {@link NDList} does not express well); {@link #forwardInternal} adapts the single-input case.
 */
public abstract class NamedBlock extends AbstractBlock {

    private final Map<String, Block> namedChildren = new LinkedHashMap<>();
    private final Map<String, Parameter> namedParams = new LinkedHashMap<>();
    private final Map<Parameter, Shape> shapes = new java.util.IdentityHashMap<>();

    /** Registers a child under its checkpoint name (e.g. {@code "attn"}, {@code "0"}). */
    protected final <T extends Block> T child(String name, T block) {
        if (name.isEmpty()) throw new IllegalArgumentException("use inline() for a child without a name");
        return register(name, block);
    }

    /**
     * Registers a child whose tensors keep their own names at this level (the LM's {@code transformer.*}
     * sit at the top of a Flamingo checkpoint, not under a prefix).
     */
    protected final <T extends Block> T inline(T block) {
        return register("", block);
    }

    private <T extends Block> T register(String name, T block) {
        if (namedChildren.containsKey(name)) throw new IllegalStateException("duplicate child " + name);
        addChildBlock(name.isEmpty() ? block.getClass().getSimpleName() : name, block);
        namedChildren.put(name, block);
        return block;
    }

    /**
     * Declares a parameter under its checkpoint name with its shape and initializer. The value comes either
     * from {@link #initialize(NDManager)} (random) or from a checkpoint ({@link Parameter#setArray}).
     */
    protected final Parameter param(String name, Shape shape, Initializer initializer) {
        if (namedParams.containsKey(name)) throw new IllegalStateException("duplicate parameter " + name);
        Parameter p = addParameter(
                Parameter.builder()
                        .setName(name)
                        .setType(Parameter.Type.OTHER)
                        .optInitializer(initializer)
                        .build());
        namedParams.put(name, p);
        shapes.put(p, shape);
        return p;
    }

    /** The shape every parameter of this block and its descendants must have, by checkpoint name. */
    public final Map<String, Shape> expectedShapes() {
        Map<String, Shape> out = new LinkedHashMap<>();
        collectShapes("", out);
        return Collections.unmodifiableMap(out);
    }

    private void collectShapes(String prefix, Map<String, Shape> out) {
        shapes.forEach((p, shape) -> out.put(prefix + p.getName(), shape));
        namedChildren.forEach((name, block) -> ((NamedBlock) block).collectShapes(name.isEmpty() ? prefix : prefix + name + ".", out));
    }

    /** Every parameter of this block and its descendants, keyed by checkpoint name, in declaration order. */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        return Collections.unmodifiableMap(out);
    }

    private void collect(String prefix, Map<String, Parameter> out) {
        namedParams.forEach((name, p) -> out.put(prefix + name, p));
        namedChildren.forEach((name, block) -> {
            if (!(block instanceof NamedBlock nb))
                throw new IllegalStateException("child " + prefix + name + " is not a NamedBlock");
            nb.collect(name.isEmpty() ? prefix : prefix + name + ".", out);
        });
    }

    /** Gives every parameter that has no value yet a random one from its initializer (float32, on {@code manager}). */
    public final void initialize(NDManager manager) {
        initialize(manager, DataType.FLOAT32);
    }

    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        shapes.forEach((p, shape) -> {
            if (!p.isInitialized() && p.getShape() == null) p.setShape(shape);
        });
        super.initialize(manager, dataType, inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Block child : namedChildren.values()) child.initialize(manager, dataType, inputShapes);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(inputs.singletonOrThrow()));
    }

    /**
     * The block applied to one input; blocks that need more (masks, caches, media) override
     * {@link #forwardInternal} or are called through their typed methods instead.
     */
    protected ai.djl.ndarray.NDArray forward(ai.djl.ndarray.NDArray x) {
        throw new UnsupportedOperationException(getClass().getSimpleName()
                + " takes more than one input: call its typed forward method");
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
