package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/narrator}: the JVM command line it runs, seen through a {@code JAVA} that prints its arguments. */
class LauncherTest {
    @TempDir Path dir;

    private List<String> javaArguments(String javaOpts) throws Exception {
        Path java = dir.resolve("java");
        Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path jar = dir.resolve("narrator.jar");
        if (!Files.exists(jar)) Files.createFile(jar);
        ProcessBuilder pb = new ProcessBuilder("sh", Path.of("bin", "narrator").toString(), "run", "--config", "n.properties");
        pb.environment().put("JAVA", java.toString());
        pb.environment().put("NARRATOR_JAR", jar.toString());
        if (javaOpts == null) pb.environment().remove("JAVA_OPTS");
        else pb.environment().put("JAVA_OPTS", javaOpts);
        Process p = pb.redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertThat(p.exitValue()).as(String.join("\n", lines)).isZero();
        return lines;
    }

    @Test
    void theJvmExitsOnOutOfMemoryUnlessJavaOptsSayOtherwise() throws Exception {
        assertThat(javaArguments(null)).startsWith("-XX:+ExitOnOutOfMemoryError")
                .endsWith("-jar", dir.resolve("narrator.jar").toString(), "run", "--config", "n.properties");
        // JAVA_OPTS come after it, so that the last word on the flag is the user's
        assertThat(javaArguments("-Xmx2g -XX:-ExitOnOutOfMemoryError")).startsWith("-XX:+ExitOnOutOfMemoryError", "-Xmx2g", "-XX:-ExitOnOutOfMemoryError");
    }
}
