/**
 * The Perceiver Resampler: learned latents that attend to the patch tokens of every frame of a clip (plus a learned
 * temporal embedding per frame) and give a fixed number of visual tokens, under OpenFlamingo's tensor names.
 *
 * <p>May use: {@code io.narrator.model} (the configuration), {@code nn}, DJL.
 */
package io.narrator.model.resampler;
