package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is generated from {@link ConfigKey}; this keeps the two in step. */
class ConfigurationReferenceTest {
    static final Path DOC = Path.of("docs", "configuration.md");

    static String expected() {
        return "# Configuration reference\n\n"
                + "Narrator's commands read properties files given with `--config` (repeatable: later files win, so security settings\n"
                + "can live in a file of their own). The keys below are Narrator's; every other key (for example\n"
                + "`security.protocol`, `sasl.*`, `ssl.*`, `num.stream.threads`, `commit.interval.ms`, `state.dir`) is passed\n"
                + "through untouched to Kafka Streams and its clients. A key that is a typo of one of Narrator's (`hop.secnds`,\n"
                + "`captions.topic`) is refused with the key meant. Every key below can also be given by an environment variable,\n"
                + "`NARRATOR_` and the key in capitals with `_` for `.` (`NARRATOR_BOOTSTRAP_SERVERS`, `NARRATOR_METRICS_PORT`): the\n"
                + "value the files start from, so a container runs without a file. Generated from `io.narrator.stream.ConfigKey`\n"
                + "(regenerate with `mvn test -Dtest=ConfigurationReferenceTest -Dnarrator.regenerate.docs=true`).\n\n"
                + ConfigKey.markdownTable();
    }

    @Test
    void theReferenceMatchesTheKeys() throws Exception {
        if (Boolean.getBoolean("narrator.regenerate.docs")) Files.writeString(DOC, expected());
        assertThat(Files.readString(DOC)).isEqualTo(expected());
    }
}
