/**
 * The vision side: the CLIP vision transformer (with the optional convolutional stem) under Hugging Face's names, the
 * image preprocessing in Java (letterbox or centre crop, area or Pillow-exact bicubic resampling, mean and std), and
 * {@link io.narrator.model.vision.VisionFeatures}, a frame's features as they travel between stages.
 *
 * <p>May use: {@code io.narrator.model} (the configuration), {@code nn}, {@code checkpoint}, DJL.
 */
package io.narrator.model.vision;
