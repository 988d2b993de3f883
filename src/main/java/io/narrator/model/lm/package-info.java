/**
 * The frozen language models Flamingo conditions: GPT-2 and OPT decoders behind
 * {@link io.narrator.model.lm.LanguageModel}, with checkpoint-named parameters, positions and the per-layer KV cache.
 *
 * <p>May use: {@code io.narrator.model} (the configuration), {@code nn}, DJL.
 */
package io.narrator.model.lm;
