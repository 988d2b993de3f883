/**
 * Checkpoint families: the layouts in which Flamingo weights are released, each one class with a table from its tensor
 * names to Narrator's ({@link io.narrator.model.family.TensorTable}) and a translator from its config files to a
 * {@link io.narrator.model.FlamingoConfig}. {@code narrator model import FAMILY …} reads a release through its family
 * ({@link io.narrator.model.family.CheckpointFamily#open}: every tensor mapped, its shape checked against the model the
 * translated config describes, nothing read yet) and writes a Narrator model directory
 * ({@link io.narrator.model.family.ModelImport}), streaming the tensors from the released files one chunk at a time.
 *
 * <p>A new family is one more class: its table, its config translator, and its entry in
 * {@link io.narrator.model.family.CheckpointFamilies}. What the families share — reading hub config files
 * ({@code HubJson}, {@code OptRepo}, {@code ClipRepo}), making the tokenizer ({@code ImportTokenizer}), the shape check
 * ({@code WeightCheck}) and the writing — lives here once.
 *
 * <p>May use: {@code io.narrator.model}, {@code checkpoint}, {@code tokenizer}. Nothing above {@code model}.
 */
package io.narrator.model.family;
