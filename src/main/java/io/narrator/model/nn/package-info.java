/**
 * Layers every part of the model shares: linear, Conv1D (GPT-2's layout), LayerNorm, attention, feed-forward,
 * activations, and {@link io.narrator.model.nn.NamedBlock}, which registers parameters and children under their
 * checkpoint names.
 *
 * <p>May use: DJL only; used by every block package.
 */
package io.narrator.model.nn;
