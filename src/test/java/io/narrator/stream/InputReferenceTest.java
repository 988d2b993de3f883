package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/input.md's table of dead-letter reasons lists exactly the reasons of {@link DeadLetterReason}. */
class InputReferenceTest {
    @Test
    void theReasonTableListsEveryReason() throws Exception {
        List<String> rows = Files.readAllLines(Path.of("docs", "input.md")).stream()
                .filter(line -> line.matches("\\| `[A-Z_]+` \\| .*")).map(line -> line.substring(3, line.indexOf('`', 3))).toList();
        assertThat(rows).containsExactlyInAnyOrderElementsOf(Arrays.stream(DeadLetterReason.values()).map(Enum::name).toList());
    }
}
