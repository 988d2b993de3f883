package io.narrator.train.world;

import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A synthetic video of the world: an episode of {@code sceneSeconds}-long scenes drawn from
 * {@code seed} (the last one shorter if {@code seconds} is not a multiple, still showing its whole
 * event), rendered at {@code width}×{@code height} and {@code fps}. What the CLI, demo and benchmarks
 * use to make realistic video files; every write returns the episode, which is the ground truth.
 */
public record WorldVideo(World world, long seed, double seconds, double fps, int width, int height, double sceneSeconds) {

    /** The usual scene length: one 8-frame clip at 1 FPS. */
    public static final double DEFAULT_SCENE_SECONDS = 8;
    /** The longest video this makes: one day. */
    public static final double MAX_SECONDS = 86_400;

    public WorldVideo {
        if (world == null) throw new IllegalArgumentException("world must not be null");
        if (!(seconds > 0 && seconds <= MAX_SECONDS)) throw new IllegalArgumentException("seconds must be in (0, " + MAX_SECONDS + "], got " + seconds);
        if (!(fps > 0 && fps <= 240)) throw new IllegalArgumentException("fps must be in (0, 240], got " + fps);
        if (!(sceneSeconds >= 1 && sceneSeconds <= 3600)) throw new IllegalArgumentException("sceneSeconds must be in [1, 3600], got " + sceneSeconds);
        new FrameRenderer(width, height); // validates the size with the renderer's message
    }

    /** A video of the default world with {@value #DEFAULT_SCENE_SECONDS}-second scenes. */
    public WorldVideo(long seed, double seconds, double fps, int width, int height) {
        this(World.DEFAULT, seed, seconds, fps, width, height, DEFAULT_SCENE_SECONDS);
    }

    /** The episode shown: its scenes and their times are the ground truth. */
    public Episode episode() {
        long total = Math.round(seconds * 1_000_000), scene = Math.round(sceneSeconds * 1_000_000);
        List<Long> durations = new ArrayList<>();
        for (long start = 0; start < total; start += scene) durations.add(Math.min(scene, total - start));
        return world.episode(seed, durations);
    }

    /** The frames, rendered lazily. */
    public Stream<RenderedFrame> frames() {
        return new FrameRenderer(width, height).frames(episode(), fps);
    }

    /** Writes the video to {@code file}, MP4 or MPEG-TS by its extension ({@code .mp4}, {@code .ts}). */
    public Episode write(Path file) {
        VideoContainer container = VideoContainer.ofFileName(file);
        try (ClipWriter writer = ClipWriter.toFile(file, new VideoSettings(container, width, height, fps))) {
            writer.writeAll(frames());
        }
        return episode();
    }

    /** Writes the video to {@code out} (left open) as MPEG-TS or fragmented MP4. */
    public Episode write(OutputStream out, VideoContainer container) {
        try (ClipWriter writer = ClipWriter.toStream(out, new VideoSettings(container, width, height, fps))) {
            writer.writeAll(frames());
        }
        return episode();
    }

    /** Writes the frames as numbered images into {@code folder}. */
    public Episode writeFrames(Path folder, ImageFileFormat format) {
        try (FrameFolderWriter writer = new FrameFolderWriter(folder, format)) {
            writer.writeAll(frames());
        }
        return episode();
    }
}
