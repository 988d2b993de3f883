package io.narrator.train.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class EpisodeTest {

    private static final long S = 1_000_000;

    @Test
    void scenesPlayBackToBack() {
        Episode episode = World.DEFAULT.episode(5, 3, 8 * S);
        assertThat(episode.durationMicros()).isEqualTo(24 * S);
        assertThat(episode.sceneAt(0)).isEqualTo(episode.scenes().get(0));
        assertThat(episode.sceneAt(8 * S - 1)).isEqualTo(episode.scenes().get(0));
        assertThat(episode.sceneAt(8 * S)).isEqualTo(episode.scenes().get(1));
        assertThat(episode.slotAt(23 * S)).isEqualTo(new Episode.Slot(2, episode.scenes().get(2), 16 * S));
        assertThat(episode.slotAt(23 * S).localMicros(23 * S)).isEqualTo(7 * S);
        assertThatThrownBy(() -> episode.sceneAt(24 * S)).hasMessageContaining("outside the episode [0, 24000000) µs");
    }

    @Test
    void aWindowHasGroundTruthWhenItLiesInsideOneScene() {
        Episode episode = World.DEFAULT.episode(5, 3, 8 * S);
        assertThat(episode.truth(0, 8 * S)).contains(episode.scenes().get(0));
        assertThat(episode.truth(8 * S, 16 * S)).contains(episode.scenes().get(1));
        assertThat(episode.truth(9 * S, 10 * S)).contains(episode.scenes().get(1));
        assertThat(episode.truth(4 * S, 12 * S)).isEmpty();
        assertThat(episode.slotsIn(4 * S, 12 * S)).extracting(Episode.Slot::index).containsExactly(0, 1);
        assertThat(episode.slotsIn(0, 24 * S)).hasSize(3);
        assertThatThrownBy(() -> episode.truth(5 * S, 5 * S)).hasMessageContaining("must be non-empty and inside the episode");
        assertThatThrownBy(() -> episode.truth(20 * S, 25 * S)).hasMessageContaining("must be non-empty and inside the episode");
    }

    @Test
    void scenesMayHaveTheirOwnDurations() {
        Episode episode = World.DEFAULT.episode(9, List.of(8 * S, 5 * S, 2 * S));
        assertThat(episode.durationMicros()).isEqualTo(15 * S);
        assertThat(episode.slot(2).startMicros()).isEqualTo(13 * S);
        assertThat(episode.scenes()).extracting(Scene::durationMicros).containsExactly(8 * S, 5 * S, 2 * S);
    }

    @Test
    void episodesAreAPureFunctionOfTheirSeed() {
        assertThat(World.DEFAULT.episode(5, 4, 8 * S)).isEqualTo(World.DEFAULT.episode(5, 4, 8 * S));
        assertThat(World.DEFAULT.episode(5, 4, 8 * S)).isNotEqualTo(World.DEFAULT.episode(6, 4, 8 * S));
        List<Scene> scenes = World.DEFAULT.episode(5, 4, 8 * S).scenes();
        assertThat(scenes).doesNotHaveDuplicates();
    }

    @Test
    void anEpisodeFrameIsItsScenesFrameAtLocalTime() {
        Episode episode = World.DEFAULT.episode(5, 2, 8 * S);
        FrameRenderer renderer = new FrameRenderer(64, 64);
        RenderedFrame frame = renderer.render(episode, 11 * S);
        assertThat(frame.timestampMicros()).isEqualTo(11 * S);
        assertThat(Pixels.samePixels(frame.image(), renderer.render(episode.scenes().get(1), 3 * S))).isTrue();
    }

    @Test
    void rejectsEmptyEpisodes() {
        assertThatThrownBy(() -> new Episode(List.of())).hasMessageContaining("at least one scene");
        assertThatThrownBy(() -> World.DEFAULT.episode(1, List.of())).hasMessageContaining("at least one scene duration");
        assertThatThrownBy(() -> Episode.of(World.DEFAULT.scene(1, S)).slot(1)).hasMessageContaining("scene index 1 is outside [0, 1)");
    }
}
