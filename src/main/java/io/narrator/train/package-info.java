/**
 * Training narrator-tiny with the Flamingo recipe: the language-model, vision and Flamingo stages
 * ({@link io.narrator.train.LanguageModelStage}, {@link io.narrator.train.VisionStage},
 * {@link io.narrator.train.FlamingoStage}), {@link io.narrator.train.Recipe} ({@code narrator train all}), resumable
 * stage runs, AdamW with checkpointable state, learning-rate schedules, losses and data-parallel replicas.
 *
 * <p>May use: {@code model}, and its own {@code train.world}, {@code train.data} and {@code train.eval}. Never used by
 * the product packages ({@code model}, {@code ingest}, {@code stream}); never uses {@code bench}, {@code cli} or
 * {@code stream}.
 */
package io.narrator.train;
