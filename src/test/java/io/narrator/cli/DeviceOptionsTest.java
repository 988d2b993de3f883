package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.model.MiniStyleModels;
import io.narrator.model.ModelDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --device} and {@code --dtype} on the commands that run the model, and {@code model.device} / {@code model.dtype}
 * from a configuration file, which the options override: where no GPU is visible, asking for one is one line saying what
 * to do; a name that is no device or dtype is a usage error.
 */
class DeviceOptionsTest {
    @TempDir static Path dir;
    static Path model;
    static Path image;
    static Path clip;
    static boolean gpus;

    @BeforeAll
    static void setUp() throws Exception {
        ProcessSetup.configure(); // as the CLI does, before PyTorch loads
        model = MiniStyleModels.readingLatestFrame(dir.resolve("model"));
        image = dir.resolve("red.png");
        javax.imageio.ImageIO.write(io.narrator.stream.TestMedia.solid("red", 32, 24), "png", image.toFile());
        clip = dir.resolve("clip.mp4");
        new io.narrator.train.world.WorldVideo(5, 3, 2, 64, 48).write(clip);
        gpus = ModelDevice.visibleGpus() > 0;
    }

    @Test
    void cpuAndAutoRunTheModelEverywhere() {
        for (String device : new String[] {"cpu", "auto", "CPU"}) {
            Cli.Result r = Cli.run("generate", "--model", model.toString(), "--media", image.toString(), "--device", device, "--max-tokens", "3");
            assertThat(r.exitCode()).as(device + ": " + r).isZero();
        }
        Cli.Result half = Cli.run("score", "--model", model.toString(), "--media", image.toString(), "--text", "a cat", "--dtype", "f16", "--device", "cpu");
        assertThat(half.exitCode()).as(half.toString()).isZero();
    }

    @Test
    void inspectAndProbeRunTheModelInFloat16() {
        Cli.Result inspect = Cli.run("model", "inspect", "bundled", "--dtype", "f16", "--device", "cpu");
        assertThat(inspect.exitCode()).as(inspect.toString()).isZero();
        assertThat(inspect.out()).contains("gates (tanh)").contains("xattn 0 (LM 1)");
        Cli.Result probe = Cli.run("model", "probe", "bundled", "--frames", "64", "--held-out", "32", "--dtype", "f16", "--device", "cpu", "--json");
        assertThat(probe.exitCode()).as(probe.toString()).isZero();
        assertThat(probe.out()).contains("\"accuracy\"").contains("\"heldOut\" : 32");
    }

    @Test
    void aGpuWherePyTorchSeesNoneIsOneLineSayingWhatToDo() {
        String[][] commands = {
            {"generate", "--media", image.toString()},
            {"score", "--media", image.toString(), "--text", "a cat"},
            {"caption", clip.toString()},
            {"bench", "model", "--smoke"},
            {"model", "inspect"},
        };
        for (String[] command : commands) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(command));
            args.addAll(java.util.List.of("--device", "gpu"));
            if (!command[0].equals("model")) args.addAll(java.util.List.of("--model", model.toString()));
            else args.add(2, model.toString());
            Cli.Result r = Cli.run(args.toArray(String[]::new));
            if (gpus) {
                assertThat(r.exitCode()).as(r.toString()).isZero();
                continue;
            }
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
            assertThat(r.errLines()).as(String.join(" ", command)).singleElement().asString()
                    .startsWith("narrator: error: no CUDA GPU is visible to PyTorch").contains("nvidia-smi");
            if (!ModelDevice.cudaBuild()) assertThat(r.err()).contains("build with `mvn -Pcuda package`");
            assertThat(r.out()).isEmpty();
        }
    }

    @Test
    void theConfigurationsDeviceAppliesUnlessTheOptionOverridesIt() throws Exception {
        Path gpuConfig = dir.resolve("gpu.properties");
        Files.writeString(gpuConfig, "model.device=gpu\nwindow.seconds=2\nhop.seconds=2\n");
        Cli.Result fromConfig = Cli.run("caption", clip.toString(), "--model", model.toString(), "--config", gpuConfig.toString());
        if (!gpus) {
            assertThat(fromConfig.exitCode()).as(fromConfig.toString()).isEqualTo(1);
            assertThat(fromConfig.errLines()).singleElement().asString().startsWith("narrator: error: no CUDA GPU is visible to PyTorch");
        } else {
            assertThat(fromConfig.exitCode()).as(fromConfig.toString()).isZero();
        }
        Cli.Result overridden = Cli.run("caption", clip.toString(), "--model", model.toString(), "--config", gpuConfig.toString(), "--device", "cpu");
        assertThat(overridden.exitCode()).as(overridden.toString()).isZero();
        assertThat(overridden.outLines()).hasSize(2); // frames at 0, 0.5, ..., 2.5 s sampled at 1 FPS: 2 s windows end at 2 and 4 s

        Path bad = dir.resolve("bad.properties");
        Files.writeString(bad, "model.dtype=bf16\n");
        Cli.Result badDtype = Cli.run("caption", clip.toString(), "--model", model.toString(), "--config", bad.toString());
        assertThat(badDtype.exitCode()).isEqualTo(1);
        assertThat(badDtype.errLines()).singleElement().asString().startsWith("narrator: error: model.dtype: bf16 is not available");
        Cli.Result fixedByOption = Cli.run("caption", clip.toString(), "--model", model.toString(), "--config", bad.toString(), "--dtype", "f16",
                "--window-seconds", "2", "--hop-seconds", "2");
        assertThat(fixedByOption.exitCode()).as("--dtype cannot rescue a configuration file that does not parse: " + fixedByOption).isEqualTo(1);
    }

    @Test
    void aNameThatIsNoDeviceOrDtypeIsAUsageError() {
        Cli.Result device = Cli.run("generate", "--model", model.toString(), "--media", image.toString(), "--device", "tpu");
        assertThat(device.exitCode()).isEqualTo(2);
        assertThat(device.errLines()).singleElement().asString()
                .startsWith("narrator: Invalid value for option '--device': device must be cpu, gpu, gpu:N or auto, got 'tpu'");
        Cli.Result gpuIndex = Cli.run("run", "--device", "gpu:x");
        assertThat(gpuIndex.exitCode()).isEqualTo(2);
        assertThat(gpuIndex.errLines()).singleElement().asString().contains("'--device': device must be cpu, gpu, gpu:N or auto, got 'gpu:x'");
        Cli.Result bf16 = Cli.run("demo", "--dtype", "bf16");
        assertThat(bf16.exitCode()).isEqualTo(2);
        assertThat(bf16.errLines()).singleElement().asString().contains("'--dtype': bf16 is not available: DJL 0.36's PyTorch engine has no bfloat16 dtype");
        Cli.Result probe = Cli.run("model", "probe", "--dtype", "f64");
        assertThat(probe.exitCode()).isEqualTo(2);
        assertThat(probe.errLines()).singleElement().asString().contains("'--dtype': model dtype must be f32 or f16, got \"f64\"");
    }
}
