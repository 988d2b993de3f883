package io.narrator.model;
import io.narrator.bench.ModelBenchmark;
import io.narrator.train.NarratorTiny;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.nio.file.Path;
class ScratchBench {
    @TempDir Path tmp;
    @Test void run() throws Exception {
        Path tok = TinyModels.tokenizer(tmp);
        try (FlamingoModel m = FlamingoModel.random(NarratorTiny.config(TinyModels.vocabSize(), "0"), tok, 1)) {
            var r = new ModelBenchmark(m, new ModelBenchmark.Options(8, 20, java.util.List.of(1, 16), 1, 3, true)).run();
            System.out.println(new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(r));
        }
    }
}
