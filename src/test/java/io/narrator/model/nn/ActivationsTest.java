package io.narrator.model.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class ActivationsTest {

    @Test
    void geluTanhIsHuggingFacesGeluNew() {
        float[] x = new float[201];
        for (int i = 0; i < x.length; i++) x[i] = -10f + 0.1f * i;
        try (NDManager m = NDManager.newBaseManager()) {
            float[] y = Activations.geluTanh(m.create(x, new Shape(x.length))).toFloatArray();
            for (int i = 0; i < x.length; i++) {
                double v = x[i];
                double expected = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
                assertThat((double) y[i]).as("gelu_new(%s)", v).isCloseTo(expected, within(1e-6 + 1e-6 * Math.abs(expected)));
            }
        }
    }

    @Test
    void reluAndSquaredReluAreByName() {
        float[] x = {-2f, -0.5f, 0f, 0.5f, 3f};
        try (NDManager m = NDManager.newBaseManager()) {
            var a = m.create(x);
            assertThat(Activations.byName("relu", a).toFloatArray()).containsExactly(0f, 0f, 0f, 0.5f, 3f);
            assertThat(Activations.byName("sqrelu", a).toFloatArray()).containsExactly(0f, 0f, 0f, 0.25f, 9f);
            assertThat(Activations.byName("gelu", a).toFloatArray()).containsExactly(Activations.gelu(a).toFloatArray());
        }
        assertThat(Activations.NAMES).containsExactlyInAnyOrder("quick_gelu", "gelu", "gelu_new", "relu", "sqrelu");
    }

    @Test
    void scalarConstantsAreSharedAndKeepTheirValue() {
        try (NDManager m = NDManager.newBaseManager()) {
            var x = m.create(new float[] {1f, 2f});
            assertThat(Scalars.constant(x, 0.5f)).isSameAs(Scalars.constant(x, 0.5f));
            assertThat(Scalars.mul(x, 0.5f).toFloatArray()).containsExactly(0.5f, 1f);
            assertThat(Scalars.add(x, 0.5f).toFloatArray()).containsExactly(1.5f, 2.5f);
        }
    }
}
