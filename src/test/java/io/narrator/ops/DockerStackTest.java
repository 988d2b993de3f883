package io.narrator.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.narrator.stream.NarratorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker/: the multi-stage Dockerfile, the compose stack (Kafka in KRaft mode, the narrator, Prometheus, Grafana), the
 * Prometheus configuration and the Grafana provisioning, read as the tools read them (no Docker engine here). That the
 * dashboard queries only metrics a narrator registers is checked against a running one by {@code MetricsEndpointIT}.
 */
class DockerStackTest {
    static final Path DOCKER = Path.of("docker");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode yaml(Path file) throws Exception {
        return YAML.readTree(file.toFile());
    }

    /** The Dockerfile's instructions, continuation lines joined, comments dropped. */
    static List<String> instructions() throws Exception {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(DOCKER.resolve("Dockerfile"))) {
            if (line.isBlank() || line.strip().startsWith("#")) continue;
            String text = line.strip();
            if (text.endsWith("\\")) {
                current.append(text, 0, text.length() - 1).append(' ');
                continue;
            }
            out.add(current.append(text).toString());
            current.setLength(0);
        }
        return out;
    }

    @Test
    void theDockerfileBuildsInAMavenStageAndRunsOnAJreWithoutAConfigurationFile() throws Exception {
        List<String> steps = instructions();
        List<String> froms = steps.stream().filter(s -> s.startsWith("FROM ")).toList();
        assertThat(froms).containsExactly("FROM ${MAVEN_IMAGE} AS build", "FROM ${RUNTIME_IMAGE}");
        assertThat(steps).contains("ARG MAVEN_IMAGE=maven:3.9-eclipse-temurin-17", "ARG RUNTIME_IMAGE=eclipse-temurin:17-jre");
        int runtime = steps.indexOf("FROM ${RUNTIME_IMAGE}");
        List<String> build = steps.subList(0, runtime);
        assertThat(build).anyMatch(s -> s.startsWith("RUN mvn ") && s.contains(" package"));
        assertThat(build).filteredOn(s -> s.startsWith("RUN mvn ")).allMatch(s -> s.contains("${MAVEN_PROFILES:+-P${MAVEN_PROFILES}}"));
        List<String> image = steps.subList(runtime, steps.size());
        assertThat(image).contains("COPY --from=build /build/target/lib/ ${NARRATOR_HOME}/lib/",
                "COPY --from=build /build/target/narrator.jar ${NARRATOR_HOME}/narrator.jar");
        assertThat(image).noneMatch(s -> s.contains("mvn"));
        assertThat(image).contains("USER 10001:10001", "ENTRYPOINT [\"narrator\"]", "CMD [\"run\"]");
        String env = image.stream().filter(s -> s.startsWith("ENV ")).findFirst().orElseThrow();
        Matcher port = Pattern.compile("NARRATOR_METRICS_PORT=(\\d+)").matcher(env);
        assertThat(port.find()).as(env).isTrue();
        assertThat(image).contains("EXPOSE " + port.group(1));
        assertThat(String.join("\n", steps)).doesNotContain("--config");

        // what the stages copy from the build context is there, and .dockerignore sends it
        List<String> sent = Files.readAllLines(Path.of(".dockerignore")).stream()
                .filter(l -> l.startsWith("!")).map(l -> l.substring(1)).toList();
        assertThat(Files.readAllLines(Path.of(".dockerignore"))).contains("*");
        for (String step : steps) {
            if (!step.startsWith("COPY ") || step.startsWith("COPY --from")) continue;
            String source = step.split("\\s+")[1];
            assertThat(Path.of(source)).as(step).exists();
            assertThat(sent).as(source + " is sent by .dockerignore").contains(source);
        }
        // the Maven build reads nothing outside what is copied: its sources, schemas (and schemas/history as resources)
        assertThat(steps).contains("COPY pom.xml ./", "COPY schemas/ schemas/", "COPY src/main/ src/main/");
        assertThat(Files.readString(Path.of("pom.xml"))).contains("<directory>schemas/history</directory>").doesNotContain("${project.basedir}/docs");
    }

    @Test
    void composeRunsKafkaInKraftModeTheNarratorPrometheusAndGrafana() throws Exception {
        JsonNode compose = yaml(DOCKER.resolve("compose.yaml"));
        JsonNode services = compose.get("services");
        assertThat(names(services)).containsExactlyInAnyOrder("kafka", "narrator", "prometheus", "grafana");

        JsonNode kafka = services.get("kafka");
        assertThat(kafka.get("image").asText()).startsWith("apache/kafka:");
        JsonNode kafkaEnv = kafka.get("environment");
        assertThat(kafkaEnv.get("KAFKA_PROCESS_ROLES").asText()).isEqualTo("broker,controller");
        assertThat(kafkaEnv.get("CLUSTER_ID").asText()).matches("[A-Za-z0-9_-]{22}");
        assertThat(kafka.get("healthcheck")).isNotNull();
        assertThat(kafka.toString()).doesNotContainIgnoringCase("zookeeper");
        String pomKafka = pomProperty("kafka.version");
        assertThat(kafka.get("image").asText()).isEqualTo("apache/kafka:" + pomKafka);

        JsonNode narrator = services.get("narrator");
        assertThat(narrator.get("build").get("context").asText()).isEqualTo("..");
        assertThat(narrator.get("build").get("dockerfile").asText()).isEqualTo("docker/Dockerfile");
        assertThat(DOCKER.resolve(narrator.get("build").get("context").asText()).resolve(narrator.get("build").get("dockerfile").asText())).exists();
        assertThat(narrator.get("depends_on").get("kafka").get("condition").asText()).isEqualTo("service_healthy");
        assertThat(narrator.has("volumes")).as("runs without a mounted configuration").isFalse();
        assertThat(narrator.has("command")).as("the image's own command, narrator run").isFalse();
        Map<String, String> env = new HashMap<>();
        narrator.get("environment").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
        Map<String, String> keys = NarratorConfig.fromEnvironment(env);
        assertThat(keys).as("every variable is a Narrator key's").hasSameSizeAs(env);
        // the narrator reaches the broker on the listener Kafka advertises to the other containers
        assertThat(List.of(kafkaEnv.get("KAFKA_ADVERTISED_LISTENERS").asText().split(","))).contains("INTERNAL://" + keys.get("bootstrap.servers"));
        NarratorConfig.of(keys); // valid values
        assertThat(narrator.get("healthcheck").get("test").toString()).contains("/health/ready");
        String metricsPort = imageMetricsPort();
        assertThat(narrator.get("ports").get(0).asText()).isEqualTo(metricsPort + ":" + metricsPort);

        // Prometheus scrapes that port; Grafana's data source is that Prometheus
        for (JsonNode volume : services.get("prometheus").get("volumes")) assertThat(DOCKER.resolve(volume.asText().split(":")[0])).exists();
        for (JsonNode volume : services.get("grafana").get("volumes")) assertThat(DOCKER.resolve(volume.asText().split(":")[0])).exists();
        JsonNode prometheus = yaml(DOCKER.resolve("prometheus/prometheus.yml"));
        JsonNode job = prometheus.get("scrape_configs").get(0);
        assertThat(job.get("metrics_path").asText()).isEqualTo("/metrics");
        assertThat(job.get("static_configs").get(0).get("targets").get(0).asText()).isEqualTo("narrator:" + metricsPort);
        JsonNode source = yaml(DOCKER.resolve("grafana/provisioning/datasources/prometheus.yaml")).get("datasources").get(0);
        assertThat(source.get("url").asText()).isEqualTo("http://prometheus:9090");
        assertThat(services.get("prometheus").get("ports").get(0).asText()).isEqualTo("9090:9090");
        JsonNode provider = yaml(DOCKER.resolve("grafana/provisioning/dashboards/narrator.yaml")).get("providers").get(0);
        String dashboards = provider.get("options").get("path").asText();
        assertThat(services.get("grafana").get("volumes").toString()).contains("./grafana/dashboards:" + dashboards + ":ro");
        String home = services.get("grafana").get("environment").get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH").asText();
        assertThat(home).startsWith(dashboards + "/");
        assertThat(DOCKER.resolve("grafana/dashboards").resolve(home.substring(dashboards.length() + 1))).exists();

        // the dashboard's panels all use the provisioned data source
        JsonNode dashboard = JSON.readTree(DOCKER.resolve("grafana/dashboards/narrator.json").toFile());
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            assertThat(ids.add(panel.get("id").asInt())).as("panel ids are unique").isTrue();
            assertThat(panel.get("description").asText()).as(panel.get("title").asText()).isNotBlank();
            assertThat(panel.get("datasource").get("uid").asText()).isEqualTo(source.get("uid").asText());
            JsonNode grid = panel.get("gridPos");
            assertThat(grid.get("x").asInt() + grid.get("w").asInt()).as(panel.get("title").asText()).isLessThanOrEqualTo(24);
            for (JsonNode target : panel.get("targets")) assertThat(target.get("expr").asText()).isNotBlank();
        }
        assertThat(dashboard.get("panels").findValuesAsText("title")).contains(
                "Captions per second", "Latency: window close to caption", "Lag", "Dead letters per reason", "Alerts per second");
    }

    @Test
    void promtoolAcceptsThePrometheusConfigurationAndRules() throws Exception {
        assumeTrue(onPath("promtool"), "promtool (Debian's prometheus package) is not installed");
        assertThat(run("promtool", "check", "config", DOCKER.resolve("prometheus/prometheus.yml").toString())).contains("SUCCESS");
        assertThat(run("promtool", "check", "rules", DOCKER.resolve("prometheus/rules/narrator.yml").toString())).contains("SUCCESS: 5 rules found");
    }

    static String imageMetricsPort() throws Exception {
        Matcher m = Pattern.compile("NARRATOR_METRICS_PORT=(\\d+)").matcher(Files.readString(DOCKER.resolve("Dockerfile")));
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    static String pomProperty(String name) throws Exception {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(Files.readString(Path.of("pom.xml")));
        assertThat(m.find()).as(name).isTrue();
        return m.group(1);
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
            if (Files.isExecutable(Path.of(dir, command))) return true;
        return false;
    }

    /** Runs a command; its output, or a failure with the output when it exits non-zero. */
    static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
        return out;
    }
}
