package io.narrator.train.world;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LayoutSamplerTest {

    @Test
    void theEvenSpreadFallbackFitsTheTightestCase() {
        double r = Size.LARGE.maxRadius(), lo = r + Layout.EDGE_MARGIN, hi = 1 - r - Layout.EDGE_MARGIN;
        double travel = LayoutSampler.MAX_TRAVEL;
        List<Position> horizontal = LayoutSampler.spread(new SplittableRandom(1), 3, lo + travel, hi, lo, hi, Event.MOVE_LEFT);
        List<Position> vertical = LayoutSampler.spread(new SplittableRandom(1), 3, lo, hi, lo, hi - travel, Event.MOVE_DOWN);
        // the constructor checks that objects stay inside and apart
        assertThat(new Layout(r, horizontal, -travel, 0, 0.5, 0).starts()).hasSize(3);
        assertThat(new Layout(r, vertical, 0, travel, 0.5, 0).starts()).hasSize(3);
    }

    @Test
    void randomPlacementCoversTheFrame() {
        SplittableRandom random = new SplittableRandom(3);
        double minX = 1, maxX = 0, minY = 1, maxY = 0;
        for (int i = 0; i < 500; i++) {
            for (Position p : LayoutSampler.sample(random, 2, Size.SMALL.minRadius(), Event.STAY).starts()) {
                minX = Math.min(minX, p.x());
                maxX = Math.max(maxX, p.x());
                minY = Math.min(minY, p.y());
                maxY = Math.max(maxY, p.y());
            }
        }
        assertThat(minX).isLessThan(0.1);
        assertThat(maxX).isGreaterThan(0.9);
        assertThat(minY).isLessThan(0.1);
        assertThat(maxY).isGreaterThan(0.9);
    }
}
