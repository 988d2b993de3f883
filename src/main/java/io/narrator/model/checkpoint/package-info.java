/**
 * Checkpoint files and model directories: safetensors (sharded too), PyTorch's {@code torch.save} archives read
 * through an unpickler that builds data and never runs code, views of tensors under other names and shapes, tied
 * tensors, float16, and {@link io.narrator.model.checkpoint.ModelDirectory} (a directory or the bundled model in the
 * jar). Every reader validates as it reads and names the file and the tensor in its errors; tensors are handed out as
 * views, never as a whole-file copy.
 *
 * <p>May use: {@code io.narrator.model} (the configuration and the block weights are moved in and out of), DJL,
 * Jackson, commons-compress. Nothing above {@code model}.
 */
package io.narrator.model.checkpoint;
