package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The README's promises that code can check: the two quick-start commands, CI running exactly the test command, every
 * command Main registers in the command table, and links to files that exist.
 */
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
    void theCommandTableListsEveryCommandMainRegisters() throws Exception {
        List<List<String>> rows = commandTable(Files.readString(Path.of("README.md")));
        List<String> commands = new ArrayList<>();
        collect(Main.commandLine(), commands);
        assertThat(commands).as("commands Main registers").contains("narrator run", "narrator model import", "narrator eval");
        for (String command : commands) {
            String[] words = command.split(" ");
            // a row's command names the words in order; a group of alternatives (set\|get\|clear) names each of them
            boolean listed = rows.stream().anyMatch(row -> {
                if (row.size() < words.length) return false;
                for (int i = 0; i < words.length; i++) if (!List.of(row.get(i).split("\\\\\\|")).contains(words[i])) return false;
                return true;
            });
            assertThat(listed).as("the README's command table has a row for `" + command + "`").isTrue();
        }
    }

    /** Every leaf command of the tree (a group with subcommands is listed through them), help excluded. */
    private static void collect(CommandLine cl, List<String> out) {
        if (cl.getCommandName().equals("help")) return;
        List<CommandLine> subs = cl.getSubcommands().values().stream().filter(c -> !c.getCommandName().equals("help")).distinct().toList();
        if (subs.isEmpty() && cl.getParent() != null) out.add(cl.getCommandSpec().qualifiedName());
        subs.forEach(sub -> collect(sub, out));
    }

    /** The command cell of each row of the command table, as words: {@code narrator}, the command, its subcommand. */
    static List<List<String>> commandTable(String readme) {
        List<List<String>> rows = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\| `(narrator [^`]*)`").matcher(readme);
        while (m.find()) rows.add(List.of(m.group(1).split(" ")));
        return rows;
    }

    @Test
    void everyLinkToAFileOfTheRepositoryResolves() throws Exception {
        List<Path> pages = new ArrayList<>(List.of(Path.of("README.md"), Path.of("CHANGELOG.md"), Path.of("CONTRIBUTING.md")));
        try (Stream<Path> docs = Files.walk(Path.of("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).forEach(pages::add);
        }
        Pattern link = Pattern.compile("\\]\\(([^)\\s]+)\\)");
        for (Path page : pages) {
            Matcher m = link.matcher(Files.readString(page));
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("^[a-z]+:.*") || target.startsWith("#")) continue;
                String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
                Path resolved = (page.getParent() == null ? Path.of(".") : page.getParent()).resolve(file).normalize();
                assertThat(resolved).as(page + " links to " + target).exists();
            }
        }
    }

    @Test
    void theQuickStartNamesTheMavenVersionTheBuildEnforces() throws Exception {
        Matcher m = Pattern.compile("<maven.minimum.version>([^<]+)</maven.minimum.version>").matcher(Files.readString(Path.of("pom.xml")));
        assertThat(m.find()).as("pom.xml sets maven.minimum.version").isTrue();
        assertThat(Files.readString(Path.of("README.md"))).contains("Maven " + m.group(1) + " or newer");
    }

    @Test
    void everyReferenceIsThere() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        assertThat(readme).contains("(docs/configuration.md)").contains("(docs/cli.md)").contains("(docker/Dockerfile)").contains("(deploy)");
        for (String file : List.of("docs/configuration.md", "docs/cli.md", "docker/Dockerfile", "deploy/kustomization.yaml", "bin/narrator"))
            assertThat(Path.of(file)).as(file).exists();
        assertThat(Path.of("bin", "narrator")).isExecutable();
    }
}
