package io.narrator.stream;

import java.util.List;

/**
 * A validated prompt, ready to use: its version, the few-shot examples as features, the generation
 * settings (prompt values over configured defaults) and the window/hop overrides, if any (0 = none).
 */
public record CompiledPrompt(String version, List<ClipRequest.PromptExample> examples, GenerationSettings settings, int windowSeconds, int hopSeconds) {
    public CompiledPrompt {
        if (version == null || version.isBlank()) throw new IllegalArgumentException("prompt version must not be blank");
        examples = List.copyOf(examples);
        if (settings == null) throw new IllegalArgumentException("settings must not be null");
        if (windowSeconds < 0 || hopSeconds < 0) throw new IllegalArgumentException("window/hop overrides must be >= 0");
    }
}
