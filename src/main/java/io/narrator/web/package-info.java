/**
 * The live web page: every stream's latest sampled frame, its captions as they arrive (server-sent events), dead-letter
 * counts and alerts, served by the JDK's HTTP server from static files in the jar. It follows Narrator's topics as any
 * subscriber does ({@link io.narrator.web.TopicFeed}), so it runs beside {@code narrator run} or on its own
 * ({@code narrator web}) against any cluster, and never on a stream thread.
 *
 * <p>May use: {@code stream} (topics, serdes, configuration, health), {@code ingest} (sampling, segment decoding) and the
 * generated Avro records. Never uses {@code train}, {@code bench} or {@code cli}.
 */
package io.narrator.web;
