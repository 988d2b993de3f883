package io.narrator.model.generate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Which requests share the language model's pass over their prompt's beginning. */
class SharedPrefixesTest {
    static final long IMAGE = 3;
    static NDManager manager;
    static NDArray exampleA, exampleB, ownA, ownB, ownC;

    @BeforeAll
    static void arrays() {
        manager = NDManager.newBaseManager();
        exampleA = manager.zeros(new ai.djl.ndarray.types.Shape(1, 2, 4));
        exampleB = manager.zeros(new ai.djl.ndarray.types.Shape(1, 2, 4));
        ownA = manager.ones(new ai.djl.ndarray.types.Shape(2, 2, 4));
        ownB = manager.ones(new ai.djl.ndarray.types.Shape(2, 2, 4));
        ownC = manager.ones(new ai.djl.ndarray.types.Shape(2, 2, 4));
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void requestsWithTheSameExamplesShareEverythingBeforeTheirLastImage() {
        long[] fewShot = {IMAGE, 10, 11, 4, IMAGE, 10};
        long[] zeroShot = {IMAGE, 10};
        long[] text = {20, 21, 22};
        SharedPrefixes plan = SharedPrefixes.plan(
                List.of(fewShot, fewShot, zeroShot, fewShot, text, new long[] {20, 21, 23}),
                List.of(List.of(exampleA, ownA), List.of(exampleA, ownB), List.of(ownC),
                        List.of(exampleB, ownC), List.of(), List.of()),
                id -> id == IMAGE).orElseThrow();
        assertThat(plan.prefixOf()).containsExactly(0, 0, -1, 1, 2, 2);
        assertThat(plan.representatives()).containsExactly(0, 3, 4);
        assertThat(plan.prefixes()).satisfiesExactly(
                p -> assertThat(p).containsExactly(IMAGE, 10, 11, 4),
                p -> assertThat(p).containsExactly(IMAGE, 10, 11, 4), // the same tokens after another example
                p -> assertThat(p).containsExactly(20, 21));
        assertThat(plan.suffixes()).satisfiesExactly(
                s -> assertThat(s).containsExactly(IMAGE, 10),
                s -> assertThat(s).containsExactly(IMAGE, 10),
                s -> assertThat(s).containsExactly(IMAGE, 10),
                s -> assertThat(s).containsExactly(IMAGE, 10),
                s -> assertThat(s).containsExactly(22),
                s -> assertThat(s).containsExactly(23));
    }

    @Test
    void withNothingSharedThePromptsGoWhole() {
        long[] fewShot = {IMAGE, 10, 11, 4, IMAGE, 10};
        Optional<SharedPrefixes> plan = SharedPrefixes.plan(List.of(fewShot, fewShot, new long[] {IMAGE, 10}),
                List.of(List.of(exampleA, ownA), List.of(exampleB, ownB), List.of(ownC)), id -> id == IMAGE);
        assertThat(plan).isEmpty();
        assertThat(SharedPrefixes.plan(List.of(new long[] {20}, new long[] {20}), List.of(List.of(), List.of()), id -> id == IMAGE)).isEmpty();
    }
}
