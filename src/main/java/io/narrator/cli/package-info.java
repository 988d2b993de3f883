/**
 * The {@code narrator} command line (picocli): one command class per subcommand, the option mixins they share
 * ({@link io.narrator.cli.KafkaOptions}, {@link io.narrator.cli.ModelOption}, {@link io.narrator.cli.DeviceOption}),
 * one-line errors and exit codes ({@code Errors}), progress bars and caption formats. The only package that prints for
 * people or calls {@code System.exit}; docs/cli.md is generated from these commands.
 *
 * <p>May use every other Narrator package; none may use it.
 */
package io.narrator.cli;
