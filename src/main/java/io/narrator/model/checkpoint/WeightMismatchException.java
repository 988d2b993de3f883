package io.narrator.model.checkpoint;

import java.util.ArrayList;
import java.util.List;

/**
 * A checkpoint whose tensors do not fit the model a config describes: every missing, unexpected and misshapen tensor,
 * grouped, in one message (and as lists, for tools that show them their own way).
 */
public final class WeightMismatchException extends CheckpointException {
    private final List<String> missing;
    private final List<String> unexpected;
    private final List<String> misshapen;

    /**
     * @param missing names the model needs and the checkpoint lacks
     * @param unexpected names the checkpoint has and the model does not use
     * @param misshapen one {@code "tensor NAME has shape [..] but the config needs [..]"} line per tensor of the wrong shape
     * @param modelTensors how many tensors the model has
     */
    public WeightMismatchException(String source, List<String> missing, List<String> unexpected, List<String> misshapen,
            int modelTensors) {
        super(message(source, missing, unexpected, misshapen, modelTensors));
        this.missing = List.copyOf(missing);
        this.unexpected = List.copyOf(unexpected);
        this.misshapen = List.copyOf(misshapen);
    }

    public List<String> missing() {
        return missing;
    }

    public List<String> unexpected() {
        return unexpected;
    }

    /** One line per misshapen tensor, naming it, its shape and the shape the config needs. */
    public List<String> misshapen() {
        return misshapen;
    }

    private static String message(String source, List<String> missing, List<String> unexpected, List<String> misshapen,
            int modelTensors) {
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty())
            parts.add("missing tensor" + (missing.size() > 1 ? "s (" + missing.size() + ") " : " ") + String.join(", ", missing));
        if (!unexpected.isEmpty())
            parts.add("unexpected tensor" + (unexpected.size() > 1 ? "s (" + unexpected.size() + ") " : " ") + String.join(", ", unexpected)
                    + " (not part of the model that config.json describes)");
        if (!misshapen.isEmpty())
            parts.add((misshapen.size() > 1 ? "misshapen (" + misshapen.size() + "): " : "") + String.join(", ", misshapen));
        return source + " does not fit the model its config describes (" + modelTensors + " tensors): " + String.join("; ", parts);
    }
}
