/**
 * GATED XATTN-DENSE: the gated cross-attention blocks between language-model layers, with the media mask that lets
 * each text token attend only to the visual tokens of the media just before it, and the media prepared once per batch.
 *
 * <p>May use: {@code io.narrator.model} (the configuration and the batch's visual tokens), {@code nn}, DJL.
 */
package io.narrator.model.xattn;
