/**
 * The synthetic video world Narrator's bundled model is trained and evaluated on.
 *
 * <p>A {@link io.narrator.train.world.Scene} is 1–3 identical objects (shape, colour, size) on a
 * neutral background doing one {@link io.narrator.train.world.Event}; it is a pure function of a
 * {@link io.narrator.train.world.World} and a {@code long} seed. Positions are frame-relative and
 * continuous in the scene's progress {@code t / duration}, so any resolution, aspect ratio, frame rate
 * and clip length shows the same event. {@link io.narrator.train.world.FrameRenderer} draws frames
 * (Java2D, antialiased; about 15 µs for 64×64); {@link io.narrator.train.world.Episode} plays scenes back
 * to back with ground truth per time window; {@link io.narrator.train.world.ClipWriter},
 * {@link io.narrator.train.world.FrameFolderWriter} and {@link io.narrator.train.world.WorldVideo} write
 * real H.264 video and image folders.
 *
 * <p>The text side: {@link io.narrator.train.world.CaptionGrammar} says a scene for each
 * {@link io.narrator.train.world.Task} with synonyms from a vocabulary of under a hundred words, and a
 * single frame for contrastive pretraining; {@link io.narrator.train.world.CaptionParser} reads any of it
 * (and a model's near-misses) back into a {@link io.narrator.train.world.ParsedCaption} for scoring.
 *
 * <p>May use: JavaCV (writing video) and Java2D; no other Narrator package. Used by {@code train}, {@code bench} (synthetic
 * streams) and {@code cli} ({@code demo}).
 */
package io.narrator.train.world;
