package io.narrator.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.model.generate.DecodingOptions;
import io.narrator.model.generate.GenerationRequest;
import io.narrator.model.generate.GenerationResult;
import io.narrator.model.generate.Media;
import io.narrator.model.generate.TokenListener;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Devices as users name them ({@code --device}, {@code model.device}), how they resolve against the GPUs PyTorch sees,
 * and a model loaded on a device: its parameters, and every array a generation makes, live there, in the model's dtype.
 */
class ModelDeviceTest {

    @Test
    void namesParseToCpuGpusAndAuto() {
        assertThat(ModelDevice.parse("cpu")).isEqualTo(ModelDevice.CPU);
        assertThat(ModelDevice.parse(" CPU ")).isEqualTo(ModelDevice.CPU);
        assertThat(ModelDevice.parse("auto")).isEqualTo(ModelDevice.AUTO);
        assertThat(ModelDevice.parse("gpu")).isEqualTo(ModelDevice.gpu(0));
        assertThat(ModelDevice.parse("GPU:3")).isEqualTo(ModelDevice.gpu(3));
        assertThat(ModelDevice.parse("gpu:3")).hasToString("gpu:3");
        assertThat(ModelDevice.parse("gpu")).hasToString("gpu:0");
        for (String bad : new String[] {"", "tpu", "gpu:", "gpu:-1", "gpu:x", "cuda", "gpu:0:1", "gpu:99999"})
            assertThatThrownBy(() -> ModelDevice.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("device must be cpu, gpu, gpu:N or auto, got '" + bad + "'");
        assertThatThrownBy(() -> ModelDevice.parse(null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 'null'");
    }

    @Test
    void autoIsTheFirstVisibleGpuElseTheCpu() {
        assertThat(ModelDevice.AUTO.resolve(0)).isEqualTo(Device.cpu());
        assertThat(ModelDevice.AUTO.resolve(2)).isEqualTo(Device.gpu(0));
        assertThat(ModelDevice.CPU.resolve(2)).isEqualTo(Device.cpu());
        assertThat(ModelDevice.gpu(1).resolve(2)).isEqualTo(Device.gpu(1));
        // what PyTorch sees here decides auto
        Device expected = ModelDevice.visibleGpus() > 0 ? Device.gpu(0) : Device.cpu();
        assertThat(ModelDevice.AUTO.resolve()).isEqualTo(expected);
        assertThat(ModelDevice.describe(Device.gpu(1))).isEqualTo("gpu:1");
        assertThat(ModelDevice.describe(Device.cpu())).isEqualTo("cpu");
    }

    @Test
    void aGpuPyTorchCannotSeeIsRefusedWithWhatToDo() {
        assertThatThrownBy(() -> ModelDevice.gpu(0).resolve(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("no CUDA GPU is visible to PyTorch").hasMessageContaining("nvidia-smi");
        if (!ModelDevice.cudaBuild()) // the CPU natives: the message says how to get the CUDA build
            assertThatThrownBy(() -> ModelDevice.gpu(0).resolve(0)).hasMessage("no CUDA GPU is visible to PyTorch: this build has "
                    + "PyTorch's CPU natives; build with `mvn -Pcuda package` and check the NVIDIA driver (nvidia-smi)");
        else // the CUDA natives (mvn -Pcuda) without a GPU or driver
            assertThatThrownBy(() -> ModelDevice.gpu(0).resolve(0)).hasMessage("no CUDA GPU is visible to PyTorch (the CUDA build is in use): "
                    + "check the NVIDIA driver (nvidia-smi) and CUDA_VISIBLE_DEVICES");
        assertThatThrownBy(() -> ModelDevice.gpu(1).resolve(1))
                .hasMessage("GPU 1 is not visible to PyTorch: it sees 1 GPU (gpu:0); check CUDA_VISIBLE_DEVICES and nvidia-smi");
        assertThatThrownBy(() -> ModelDevice.gpu(4).resolve(2))
                .hasMessage("GPU 4 is not visible to PyTorch: it sees 2 GPUs (gpu:0 to gpu:1); check CUDA_VISIBLE_DEVICES and nvidia-smi");
        if (ModelDevice.visibleGpus() == 0)
            assertThatThrownBy(() -> ModelDevice.parse("gpu").resolve()).hasMessageStartingWith("no CUDA GPU is visible to PyTorch");
    }

    @Test
    void onTheCpuEveryParameterAndEveryArrayOfAGenerationIsOnTheCpu() throws Exception {
        placementOf(Device.cpu(), ModelDtype.F32);
        placementOf(Device.cpu(), ModelDtype.F16);
    }

    @Test
    void onTheFirstGpuWhereOneIsVisible() throws Exception {
        Assumptions.assumeTrue(ModelDevice.visibleGpus() > 0, "PyTorch sees no CUDA GPU here (" + (ModelDevice.cudaBuild()
                ? "the CUDA build, no GPU or driver" : "the CPU natives: mvn -Pcuda") + ")");
        placementOf(Device.gpu(0), ModelDtype.F32);
        placementOf(Device.gpu(0), ModelDtype.F16);
    }

    @Test
    void float16HalvesTheWeightsMemory() throws Exception {
        try (FlamingoModel f32 = FlamingoModel.load(ModelDirectory.of(MiniStyleModels.dir()), Device.cpu(), ModelDtype.F32);
                FlamingoModel f16 = FlamingoModel.load(ModelDirectory.of(MiniStyleModels.dir()), Device.cpu(), ModelDtype.F16)) {
            assertThat(weightBytes(f16) * 2).isEqualTo(weightBytes(f32));
            assertThat(f16.dtype()).isEqualTo(ModelDtype.F16);
            assertThat(f32.dtype()).isEqualTo(ModelDtype.F32);
        }
    }

    private static long weightBytes(FlamingoModel model) {
        long bytes = 0;
        for (Parameter p : model.block().namedParameters().values()) bytes += p.getArray().getShape().size() * p.getArray().getDataType().getNumOfBytes();
        return bytes;
    }

    /**
     * Loads the flamingo-mini-style model on {@code device} in {@code dtype} and checks where its parameters are, then
     * where every array under the model's manager is at each token of a greedy and a beam generation (the visual
     * tokens, cross-attention keys and values, masks, caches and logits of the step under way).
     */
    private static void placementOf(Device device, ModelDtype dtype) throws Exception {
        try (FlamingoModel model = FlamingoModel.load(ModelDirectory.of(MiniStyleModels.dir()), device, dtype)) {
            assertThat(model.device()).isEqualTo(device);
            assertThat(model.manager().getDevice()).isEqualTo(device);
            assertThat(model.dtype()).isEqualTo(dtype);
            for (var e : model.block().namedParameters().entrySet()) {
                NDArray a = e.getValue().getArray();
                assertThat(a.getDevice()).as(e.getKey()).isEqualTo(device);
                assertThat(a.getDataType()).as(e.getKey()).isEqualTo(dtype.dataType());
            }
            int parameters = model.block().namedParameters().size();
            Media clip = new Media(model.encode(List.of(frame(Color.RED), frame(Color.BLUE))));
            Media example = new Media(model.encode(List.of(frame(Color.GREEN))));
            String prompt = model.prompt(List.of("a red cat"));
            Set<Device> seen = new HashSet<>();
            List<Integer> arraysPerToken = new ArrayList<>();
            TokenListener inspect = (request, token) -> {
                List<NDArray> arrays = model.manager().getManagedArrays();
                arraysPerToken.add(arrays.size());
                for (NDArray a : arrays) if (!a.isReleased()) seen.add(a.getDevice());
            };
            GenerationResult greedy = model.generate(List.of(new GenerationRequest(prompt, List.of(example, clip),
                    DecodingOptions.greedy(6).exactly(6))), true, inspect).get(0);
            assertThat(greedy.tokenIds()).hasSize(6);
            assertThat(arraysPerToken).as("arrays under the model's manager at each token").hasSize(6)
                    .allSatisfy(n -> assertThat(n).as("the step's arrays besides the parameters").isGreaterThan(parameters));
            model.generate(List.of(new GenerationRequest(prompt, List.of(example, clip), DecodingOptions.greedy(4).exactly(4)),
                    new GenerationRequest(model.queryPrompt(2), List.of(clip, example), DecodingOptions.greedy(4).exactly(4))), false, inspect);
            assertThat(seen).as("devices of the arrays of generations on " + device).containsExactly(device);
        }
    }

    private static BufferedImage frame(Color colour) {
        BufferedImage image = new BufferedImage(24, 16, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(colour);
        g.fillRect(4, 2, 12, 10);
        g.dispose();
        return image;
    }
}
