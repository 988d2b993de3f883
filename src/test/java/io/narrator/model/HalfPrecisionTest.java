package io.narrator.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import io.narrator.model.generate.DecodingOptions;
import io.narrator.model.generate.GenerationRequest;
import io.narrator.model.generate.GenerationResult;
import io.narrator.model.generate.TokenListener;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A model in float16 ({@link ModelDtype#F16}): every parameter and the computation in float16 on the CPU, log-softmax
 * in float32. The flamingo-mini-style reference model's logits stay within 2% of the largest logit of the float64
 * reference, and its greedy tokens are the reference's, cached or not.
 */
class HalfPrecisionTest {

    @Test
    void theFlamingoMiniStyleModelRunsInFloat16CloseToTheReference() throws Exception {
        try (MiniStyleReference ref = MiniStyleReference.load(ModelDtype.F16)) {
            FlamingoModel half = ref.model;
            assertThat(half.block().dataType()).isEqualTo(DataType.FLOAT16);
            half.block().namedParameters().forEach((name, p) -> assertThat(p.getArray().getDataType()).as(name).isEqualTo(DataType.FLOAT16));
            double worst = 0;
            double largest = 0;
            List<JsonNode> cases = ref.cases();
            try (NDManager m = half.manager().newSubManager()) {
                List<float[][]> logits = ref.logits(m, cases);
                for (int c = 0; c < cases.size(); c++) {
                    float[][] expected = MiniStyleReference.JSON.convertValue(cases.get(c).get("logits"), float[][].class);
                    for (int i = 0; i < expected.length; i++)
                        for (int j = 0; j < expected[i].length; j++) {
                            worst = Math.max(worst, Math.abs(logits.get(c)[i][j] - expected[i][j]));
                            largest = Math.max(largest, Math.abs(expected[i][j]));
                        }
                }
            }
            assertThat(worst).as("largest logit error in float16 (logits up to %.1f)", largest).isLessThan(0.02 * largest);
            List<GenerationRequest> requests = new ArrayList<>();
            for (JsonNode c : cases) requests.add(new GenerationRequest(c.get("prompt").asText(), ref.mediaOf(c), DecodingOptions.greedy(6)));
            List<GenerationResult> cached = half.generate(requests, true, TokenListener.NONE);
            List<GenerationResult> recomputed = half.generate(requests, false, TokenListener.NONE);
            for (int i = 0; i < requests.size(); i++) {
                long[] expected = MiniStyleReference.JSON.convertValue(cases.get(i).get("greedy"), long[].class);
                assertThat(cached.get(i).tokenIds()).as("case %d", i).containsExactly(expected);
                assertThat(recomputed.get(i).tokenIds()).as("case %d without caches", i).containsExactly(expected);
            }
        }
    }
}
