/**
 * Tokenizers in Hugging Face's {@code tokenizer.json} format: the word-level vocabulary of the bundled model and
 * byte-level BPE for released models, behind {@link io.narrator.model.tokenizer.NarratorTokenizer}, with the media
 * markers and special tokens a Flamingo prompt needs.
 *
 * <p>May use: {@code io.narrator.model} (the configuration and native-library loading), DJL's tokenizers, Jackson.
 */
package io.narrator.model.tokenizer;
