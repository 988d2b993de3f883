/**
 * Flamingo (arXiv 2204.14198) in Java on DJL's PyTorch engine: the configuration every block is built from
 * ({@link io.narrator.model.FlamingoConfig}, saved as {@code config.json}), the assembled model
 * ({@link io.narrator.model.Flamingo}, one DJL block) and a loaded model ready to use
 * ({@link io.narrator.model.FlamingoModel}: weights, tokenizer, preprocessing, generation and scoring), the device and
 * number format it runs in, and the native engines' set-up. The blocks live in the subpackages: {@code vision},
 * {@code resampler}, {@code xattn}, {@code lm}, {@code nn} (shared layers), {@code generate}, {@code tokenizer},
 * {@code checkpoint} (file formats and model directories) and {@code family} (released checkpoint layouts).
 *
 * <p>May use: DJL, the Hugging Face tokenizers, Jackson and commons-compress. The subpackages use this package's
 * configuration and each other without cycles among them; this package assembles them. Never uses {@code ingest},
 * {@code stream}, {@code train}, {@code bench} or {@code cli}.
 */
package io.narrator.model;
