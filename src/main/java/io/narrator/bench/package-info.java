/**
 * Benchmarks: {@code narrator bench model} (the model alone: vision frames per second, resampler time per clip,
 * generation time per token, with and without the KV cache), {@code bench pipeline} (synthetic live streams sent in
 * real time through an embedded broker and the whole streaming application: latency, throughput, CPU and memory, a
 * breakdown per stage, and the overhead against the model alone) and {@code bench ingest} (JavaCV's 1 FPS sampling
 * against {@code ffmpeg}). Every benchmark writes a JSON report that the docs cite.
 *
 * <p>May use: the product packages ({@code model}, {@code ingest}, {@code stream}) and the synthetic world
 * ({@code train.world}) for its streams. Never used by them, and never uses {@code cli}: results are returned and
 * written as files, the command prints them.
 */
package io.narrator.bench;
