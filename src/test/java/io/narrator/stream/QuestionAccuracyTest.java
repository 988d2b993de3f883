package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.model.FlamingoModel;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.train.world.Episode;
import io.narrator.train.world.FrameRenderer;
import io.narrator.train.world.Scene;
import io.narrator.train.world.World;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The figure docs/alerts.md gives for the bundled model's count question: asked with its own prompt ({@code Output:}) and
 * answers in its words (a caption starts with its count), "is there more than one object?" is answered right on every
 * one of 60 clips of the world (8 frames of one scene each, seeds 9000 to 9059), through {@link FlamingoNarration#answer},
 * the path the narration engine takes.
 */
class QuestionAccuracyTest {
    @Test
    void theBundledModelTellsOneObjectFromSeveralOnSixtyClips() throws Exception {
        List<String> answers = List.of("two", "three", "a", "an");
        FrameRenderer renderer = new FrameRenderer(160, 120);
        List<QuestionRequest> questions = new ArrayList<>();
        List<Scene> scenes = new ArrayList<>();
        try (FlamingoModel model = FlamingoModel.load(ModelDirectory.BUNDLED); FlamingoNarration narration = new FlamingoNarration(model)) {
            for (int c = 0; c < 60; c++) {
                Episode episode = World.DEFAULT.episode(9000 + c, 1, 8_000_000L);
                List<BufferedImage> frames = new ArrayList<>();
                for (int f = 0; f < 8; f++) frames.add(renderer.render(episode, f * 1_000_000L).image());
                questions.add(new QuestionRequest("world-" + c, narration.encodeFrames(frames), "Output:", answers));
                scenes.add(episode.scenes().get(0));
            }
            List<QuestionScores> scores = new ArrayList<>();
            for (int i = 0; i < questions.size(); i += 8) scores.addAll(narration.answer(questions.subList(i, Math.min(questions.size(), i + 8))));
            int right = 0;
            StringBuilder wrong = new StringBuilder();
            for (int c = 0; c < scenes.size(); c++) {
                List<Double> lp = scores.get(c).logProbs();
                boolean yes = Math.max(lp.get(0), lp.get(1)) > Math.max(lp.get(2), lp.get(3));
                if (yes == scenes.get(c).count() > 1) right++;
                else wrong.append(String.format("%n  seed %d: %d objects, log-probs %s", 9000 + c, scenes.get(c).count(), lp));
            }
            assertThat(right).as("clips answered right" + wrong).isEqualTo(60);
        }
    }
}
