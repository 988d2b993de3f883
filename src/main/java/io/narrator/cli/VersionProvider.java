package io.narrator.cli;

import io.narrator.model.FlamingoConfig;
import io.narrator.model.checkpoint.ModelDirectory;
import java.io.IOException;
import picocli.CommandLine;

/** Supplies {@code narrator --version}: the Narrator version, the bundled model and the engines it runs on. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = Main.class.getPackage().getImplementationVersion();
        return new String[] {
            "narrator " + (version == null ? "development build" : version),
            "model: " + bundledModel(),
            "engine: DJL " + ai.djl.engine.Engine.getDjlVersion() + " (PyTorch, CPU"
                    + (hasCudaNatives() ? " and CUDA" : "") + "), Kafka Streams " + org.apache.kafka.common.utils.AppInfoParser.getVersion()
                    + ", JavaCV " + org.bytedeco.javacv.FFmpegFrameGrabber.class.getPackage().getImplementationVersion() + " (FFmpeg)"
        };
    }

    /** The bundled model's name and version from its config.json (no weights are loaded). */
    static String bundledModel() {
        try {
            FlamingoConfig config = ModelDirectory.bundled().config();
            return config.name() + " " + config.version() + " (bundled)";
        } catch (IOException e) {
            return "none bundled in this build (use --model DIR)";
        }
    }

    private static boolean hasCudaNatives() {
        return VersionProvider.class.getClassLoader().getResource("pytorch/cu") != null;
    }
}
