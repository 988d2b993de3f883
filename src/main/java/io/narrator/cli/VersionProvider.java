package io.narrator.cli;

import picocli.CommandLine;

/** Supplies {@code narrator --version}: the Narrator version and the engines it runs on. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = Main.class.getPackage().getImplementationVersion();
        return new String[] {
            "narrator " + (version == null ? "development build" : version),
            "engine: DJL " + ai.djl.engine.Engine.class.getPackage().getImplementationVersion() + " (PyTorch), Kafka Streams "
                    + org.apache.kafka.common.utils.AppInfoParser.getVersion()
        };
    }
}
