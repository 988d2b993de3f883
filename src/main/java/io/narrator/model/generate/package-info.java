/**
 * Text from a Flamingo model: batched generation with a KV cache for requests of different lengths and media
 * ({@link io.narrator.model.generate.Generator}), decoding strategies (greedy, beam search, top-p) behind a small
 * {@link io.narrator.model.generate.Sampler}, shared few-shot prefixes, and scoring of a given text
 * ({@link io.narrator.model.generate.Scorer}).
 *
 * <p>May use: {@code io.narrator.model} (the assembled model and its state), {@code nn}, {@code vision},
 * {@code tokenizer}, DJL. Nothing above {@code model}.
 */
package io.narrator.model.generate;
