package io.narrator.train.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SoftmaxRegressionTest {
    /** Three classes around three centres in 8 dimensions, with noise; {@code signal} 0 makes the labels unreadable. */
    private static float[][] rows(int n, double signal, Random random, int[] labels) {
        float[][] x = new float[n][8];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(3);
            for (int j = 0; j < 8; j++) x[i][j] = (float) (random.nextGaussian() + (j == labels[i] ? signal : 0) + 100 * (j == 7 ? 1 : 0));
        }
        return x;
    }

    @Test
    void readsClassesThatALinearBoundarySeparates() {
        Random random = new Random(1);
        int[] y = new int[600], yTest = new int[300];
        float[][] x = rows(600, 4, random, y), xTest = rows(300, 4, random, yTest);
        assertThat(SoftmaxRegression.fit(x, y, 3).accuracy(xTest, yTest)).isGreaterThan(0.97);
    }

    @Test
    void findsNothingWhereThereIsNothing() {
        Random random = new Random(2);
        int[] y = new int[600], yTest = new int[600];
        float[][] x = rows(600, 0, random, y), xTest = rows(600, 0, random, yTest);
        assertThat(SoftmaxRegression.fit(x, y, 3).accuracy(xTest, yTest)).isBetween(0.25, 0.42); // chance is 1/3
    }

    @Test
    void theSameRowsGiveTheSamePredictions() {
        Random random = new Random(3);
        int[] y = new int[200];
        float[][] x = rows(200, 1, random, y);
        SoftmaxRegression a = SoftmaxRegression.fit(x, y, 3), b = SoftmaxRegression.fit(x, y, 3);
        for (float[] row : x) assertThat(a.predict(row)).isEqualTo(b.predict(row));
    }

    @Test
    void badInputsAreNamed() {
        float[][] x = {{1, 2}, {3, 4}};
        assertThatThrownBy(() -> SoftmaxRegression.fit(new float[0][], new int[0], 3)).hasMessage("no rows to fit");
        assertThatThrownBy(() -> SoftmaxRegression.fit(x, new int[] {0}, 3)).hasMessage("2 rows but 1 labels");
        assertThatThrownBy(() -> SoftmaxRegression.fit(x, new int[] {0, 3}, 3)).hasMessage("label 3 of row 1 is outside [0, 3)");
        assertThatThrownBy(() -> SoftmaxRegression.fit(new float[][] {{1, 2}, {3}}, new int[] {0, 1}, 2))
                .hasMessage("row 1 has 1 features, row 0 has 2");
        assertThatThrownBy(() -> SoftmaxRegression.fit(x, new int[] {0, 1}, 2).predict(new float[3]))
                .hasMessage("row has 3 features, the probe was fitted on 2");
    }
}
