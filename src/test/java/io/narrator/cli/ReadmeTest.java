package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's promises that code can check: the two quick-start commands, CI running exactly the test command, every command documented. */
class ReadmeTest {
    static final String RUN_DEMO = "mvn -q -DskipTests package && java -jar target/narrator.jar demo";
    static final String RUN_TESTS = "mvn -B verify";

    @Test
    void theQuickStartIsTheTwoCommandsAndCiRunsTheTestCommand() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        assertThat(readme).contains("```sh\n" + RUN_DEMO + "\n```").contains("```sh\n" + RUN_TESTS + "\n```");
        List<String> ci = Files.readAllLines(Path.of(".ci", "run")).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertThat(ci.get(ci.size() - 1)).as("the last step of .ci/run").isEqualTo(RUN_TESTS);
    }

    @Test
    void everyCommandAndReferenceIsThere() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        for (String command : MainTest.COMMANDS) assertThat(readme).contains("`narrator " + command);
        assertThat(readme).contains("(docs/configuration.md)").contains("(docs/cli.md)").contains("(docker/Dockerfile)").contains("(deploy)");
        for (String file : List.of("docs/configuration.md", "docs/cli.md", "docker/Dockerfile", "deploy/kustomization.yaml", "bin/narrator"))
            assertThat(Path.of(file)).as(file).exists();
        assertThat(Path.of("bin", "narrator")).isExecutable();
    }
}
