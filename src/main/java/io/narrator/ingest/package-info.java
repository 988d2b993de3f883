/**
 * Ingest: reads video with JavaCV (FFmpeg) and delivers it to an {@link io.narrator.ingest.IngestSink}
 * as sampled JPEG frames or MPEG-TS segments; what {@code narrator ingest} runs.
 *
 * <h2>Flow</h2>
 * {@link io.narrator.ingest.VideoSource#parse} tells a file, URL, V4L2 device or image folder apart;
 * {@link io.narrator.ingest.IngestJob} opens it through a {@link io.narrator.ingest.GrabberFactory}
 * (image folders are read with ImageIO), stamps event times with an {@link io.narrator.ingest.EventClock},
 * and hands frames or segments to the sink in order, reporting {@link io.narrator.ingest.IngestProgress}.
 *
 * <h2>Frames</h2>
 * Every frame is decoded (multithreaded, unconverted), the {@link io.narrator.ingest.FpsSampler} decides on
 * its event time, and only kept frames are converted (swscale to BGR, {@code Java2DFrameConverter}) and
 * JPEG-encoded, on a helper thread while decoding goes on. Images of a folder are passed through as they
 * are (JPEG or PNG).
 *
 * <h2>Segments</h2>
 * H.264, HEVC and MPEG-1/2 video is copied packet by packet into MPEG-TS chunks cut at the first keyframe
 * after {@code --segment-seconds}; each chunk has its own PAT/PMT and in-band parameter sets, so it decodes
 * alone. Other codecs, raw device frames and image folders are encoded to H.264 with libopenh264 (logged).
 * Segments carry video only, and every frame (no sampling).
 *
 * <h2>Event time</h2>
 * The first frame is stamped {@code --start-time}, or the wall clock (ms) when it is read; later frames add
 * their media time; a live source that reconnects is re-anchored on the wall clock. Sampling periods are
 * aligned to event time zero, as in the topology, so both sample the same frames.
 *
 * <h2>Live sources</h2>
 * URLs without a known length and devices are live: when they drop or end they are reopened with
 * exponential backoff ({@link io.narrator.ingest.ReconnectPolicy}); the first open must succeed. Files never
 * reconnect.
 *
 * <p>Nothing here prints or exits: errors are {@link io.narrator.ingest.IngestException}s (or
 * {@link java.lang.IllegalArgumentException}s for bad options) whose message names the source and the problem.
 *
 * <p>May use: JavaCV and FFmpeg; no other Narrator package. Used by {@code stream} (segment decoding, the Kafka sink),
 * {@code bench} and {@code cli}.
 */
package io.narrator.ingest;
