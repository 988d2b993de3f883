/**
 * The streaming narrator on Kafka Streams: the topology ({@link io.narrator.stream.NarratorTopology}, pure and reused
 * by tests), frame and segment intake with 1 FPS event-time sampling, per-stream clip windows, the narration engine
 * that batches clips of every stream through one model ({@link io.narrator.stream.NarrationEngine} behind the
 * {@link io.narrator.stream.Narration} interface), prompts, dead letters, serdes, configuration
 * ({@link io.narrator.stream.ConfigKey}, {@link io.narrator.stream.NarratorConfig}), metrics and health, the embedded
 * broker, and {@link io.narrator.stream.FileNarrator}, which applies the same sampling, windows and model to a file
 * without Kafka.
 *
 * <p>May use: {@code model} (through {@link io.narrator.stream.FlamingoNarration}), {@code ingest} (decoding segments and
 * the Kafka ingest sink) and the generated Avro records. Never uses {@code train}, {@code bench} or {@code cli}.
 */
package io.narrator.stream;
