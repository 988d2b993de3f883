package io.narrator.train.data;

import io.narrator.train.world.Task;
import java.util.random.RandomGenerator;

/** How often each task appears in training sequences: captions 40%, each example-defined task 15%. */
public final class TaskMix {
    private TaskMix() {}

    public static Task draw(RandomGenerator random) {
        double u = random.nextDouble();
        if (u < 0.40) return Task.CAPTION;
        if (u < 0.55) return Task.COLOUR;
        if (u < 0.70) return Task.SHAPE;
        if (u < 0.85) return Task.COUNT;
        return Task.EVENT;
    }
}
