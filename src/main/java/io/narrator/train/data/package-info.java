/**
 * Training data drawn from the synthetic world: few-shot token sequences, the task mix, frames at random aspect ratio
 * and resolution for contrastive pretraining, and the pool of clips encoded once by the frozen vision encoder.
 *
 * <p>May use: {@code model}, {@code train.world}. Not {@code train} itself, so the stages can depend on it.
 */
package io.narrator.train.data;
