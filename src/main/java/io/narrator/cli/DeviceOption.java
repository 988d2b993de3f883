package io.narrator.cli;

import io.narrator.model.ModelDevice;
import io.narrator.model.ModelDtype;
import io.narrator.stream.NarratorConfig;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The {@code --device} and {@code --dtype} options of the commands that run the model (a picocli mixin): where the model
 * runs and in which number format, overriding {@code model.device} and {@code model.dtype} of the configuration.
 */
final class DeviceOption {
    @Option(names = "--device", paramLabel = "cpu|gpu|gpu:N|auto", converter = DeviceConverter.class,
            description = "Where the model runs: cpu, gpu (the first CUDA GPU), gpu:N, or auto, the first GPU PyTorch sees, else the CPU "
                    + "(default: auto, or model.device from --config). GPUs need the CUDA build (mvn -Pcuda package) and an NVIDIA driver.")
    ModelDevice device;

    @Option(names = "--dtype", paramLabel = "f32|f16", converter = DtypeConverter.class,
            description = "Number format of the weights and the computation (default: f32, or model.dtype from --config). f16 halves the weights' memory; on the CPU it is slower, not faster.")
    ModelDtype dtype;

    /** {@code --device}, else {@code model.device} of {@code config}. */
    ModelDevice device(NarratorConfig config) {
        return device != null ? device : config.modelDevice();
    }

    /** {@code --dtype}, else {@code model.dtype} of {@code config}. */
    ModelDtype dtype(NarratorConfig config) {
        return dtype != null ? dtype : config.modelDtype();
    }

    /** Parses {@code --device}; a bad name is a usage error naming the choices. */
    static final class DeviceConverter implements ITypeConverter<ModelDevice> {
        @Override
        public ModelDevice convert(String value) {
            try {
                return ModelDevice.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Parses {@code --dtype}; bf16 is refused with the reason. */
    static final class DtypeConverter implements ITypeConverter<ModelDtype> {
        @Override
        public ModelDtype convert(String value) {
            try {
                return ModelDtype.named(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
