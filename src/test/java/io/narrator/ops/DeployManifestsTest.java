package io.narrator.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.narrator.stream.NarratorConfig;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/: each entry point rendered by {@code kubectl kustomize} (the kubectl on the PATH, or the one named by the
 * {@code narrator.kubectl} property; skipped where there is none) and the facts that matter checked on the rendered
 * objects: probes on the health endpoints, no Secret in any render, a ConfigMap whose name carries its content's hash,
 * replicas left to an autoscaler, ephemeral storage for the natives, and the GPU overlay's GPU.
 */
class DeployManifestsTest {
    private static final Path DEPLOY = Path.of("deploy");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static String kubectl;
    private static Properties narratorProperties;

    @BeforeAll
    static void findKubectl() throws Exception {
        kubectl = System.getProperty("narrator.kubectl", "kubectl");
        narratorProperties = new Properties();
        narratorProperties.load(new StringReader(Files.readString(DEPLOY.resolve("base/narrator.properties"))));
    }

    private static void requireKubectl() {
        assumeTrue(kubectl.contains("/") ? Files.isExecutable(Path.of(kubectl)) : DockerStackTest.onPath(kubectl),
                "kubectl is not installed (Debian: apt-get install kubernetes-client)");
    }

    /** The objects {@code kubectl kustomize dir} renders, by kind. */
    private static Map<String, List<JsonNode>> render(Path dir) throws Exception {
        Process p = new ProcessBuilder(kubectl, "kustomize", dir.toString()).redirectError(ProcessBuilder.Redirect.PIPE).start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kubectl kustomize " + dir + "\n" + err).isZero();
        Map<String, List<JsonNode>> byKind = new TreeMap<>();
        for (JsonNode doc : YAML.readerFor(JsonNode.class).<JsonNode>readValues(out).readAll())
            if (doc != null && !doc.isNull() && !doc.isEmpty()) byKind.computeIfAbsent(doc.get("kind").asText(), k -> new ArrayList<>()).add(doc);
        return byKind;
    }

    private static JsonNode one(Map<String, List<JsonNode>> objects, String kind) {
        assertThat(objects.get(kind)).as(kind).hasSize(1);
        return objects.get(kind).get(0);
    }

    private static JsonNode container(Map<String, List<JsonNode>> objects) {
        JsonNode containers = one(objects, "Deployment").at("/spec/template/spec/containers");
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    /** What every entry point renders the same way. */
    private static void commonFacts(Map<String, List<JsonNode>> objects, String imageTag) {
        assertThat(objects).doesNotContainKey("Secret");
        for (List<JsonNode> ofKind : objects.values())
            for (JsonNode o : ofKind)
                if (!o.get("kind").asText().equals("Namespace")) assertThat(o.at("/metadata/namespace").asText()).as(o.toString()).isEqualTo("narrator");
        JsonNode deployment = one(objects, "Deployment");
        assertThat(deployment.at("/spec/replicas").isMissingNode()).as("replicas are the autoscaler's").isTrue();
        JsonNode c = container(objects);
        assertThat(c.get("image").asText()).isEqualTo("registry.example.com/narrator:" + imageTag);
        assertThat(c.at("/startupProbe/httpGet/path").asText()).isEqualTo("/health/live");
        assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/health/live");
        assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/health/ready");
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe"))
            assertThat(c.at("/" + probe + "/httpGet/port").asText()).isEqualTo("metrics");
        assertThat(c.at("/ports/0/name").asText()).isEqualTo("metrics");
        assertThat(c.at("/ports/0/containerPort").asText()).isEqualTo(narratorProperties.getProperty("metrics.port"));
        assertThat(c.at("/resources/requests/ephemeral-storage").asText()).isNotEmpty();
        assertThat(c.at("/resources/limits/ephemeral-storage").asText()).isNotEmpty();

        // the ConfigMap is generated from narrator.properties under a hashed name, which the Deployment mounts
        JsonNode configMap = one(objects, "ConfigMap");
        String name = configMap.at("/metadata/name").asText();
        assertThat(name).matches("narrator-config-[a-z0-9]{10}");
        JsonNode volumes = deployment.at("/spec/template/spec/volumes");
        assertThat(volumes.findValues("configMap")).extracting(v -> v.get("name").asText()).containsExactly(name);
        assertThat(configMap.at("/data/narrator.properties").asText()).isEqualTo(readUnchecked(DEPLOY.resolve("base/narrator.properties")));
        assertThat(volumes.findValues("secret")).extracting(v -> v.get("secretName").asText()).containsExactly("narrator-kafka-client");
        List<String> args = new ArrayList<>();
        c.get("args").forEach(a -> args.add(a.asText()));
        assertThat(args).containsSubsequence("--config", "/etc/narrator/config/narrator.properties", "--config", "/etc/narrator/secret/client.properties");
        for (JsonNode volume : volumes)
            if (volume.has("emptyDir")) assertThat(volume.at("/emptyDir/sizeLimit").asText()).as(volume.toString()).isNotEmpty();

        JsonNode service = one(objects, "Service");
        assertThat(service.at("/spec/ports/0/targetPort").asText()).isEqualTo("metrics");
    }

    @Test
    void theDefaultScalesOnCpuAndHoldsNoSecret() throws Exception {
        requireKubectl();
        Map<String, List<JsonNode>> objects = render(DEPLOY);
        assertThat(objects.keySet()).containsExactlyInAnyOrder("Namespace", "ConfigMap", "Service", "Deployment", "PodDisruptionBudget", "HorizontalPodAutoscaler");
        commonFacts(objects, "0.1.0");
        JsonNode hpa = one(objects, "HorizontalPodAutoscaler");
        assertThat(hpa.at("/spec/scaleTargetRef/name").asText()).isEqualTo("narrator");
        assertThat(hpa.at("/spec/maxReplicas").asText()).isEqualTo(narratorProperties.getProperty("topic.partitions"));
        assertThat(container(objects).at("/resources/limits").has("nvidia.com/gpu")).isFalse();
    }

    @Test
    void aChangedConfigurationIsANewConfigMapSoThePodsRoll(@TempDir Path dir) throws Exception {
        requireKubectl();
        Path copy = dir.resolve("deploy");
        try (Stream<Path> files = Files.walk(DEPLOY)) {
            for (Path from : files.toList()) {
                Path to = copy.resolve(DEPLOY.relativize(from).toString());
                if (Files.isDirectory(from)) Files.createDirectories(to);
                else Files.copy(from, to);
            }
        }
        String before = one(render(copy), "ConfigMap").at("/metadata/name").asText();
        Path properties = copy.resolve("base/narrator.properties");
        Files.writeString(properties, Files.readString(properties).replace("num.stream.threads=2", "num.stream.threads=3"));
        Map<String, List<JsonNode>> after = render(copy);
        String renamed = one(after, "ConfigMap").at("/metadata/name").asText();
        assertThat(renamed).startsWith("narrator-config-").isNotEqualTo(before);
        assertThat(one(after, "Deployment").at("/spec/template/spec/volumes").findValues("configMap"))
                .extracting(v -> v.get("name").asText()).containsExactly(renamed);
    }

    @Test
    void theKedaOverlayScalesOnTheConsumerGroupsLagInsteadOfCpu() throws Exception {
        requireKubectl();
        Map<String, List<JsonNode>> objects = render(DEPLOY.resolve("overlays/keda"));
        assertThat(objects).doesNotContainKey("HorizontalPodAutoscaler");
        commonFacts(objects, "0.1.0");
        kedaFacts(objects);
    }

    private static void kedaFacts(Map<String, List<JsonNode>> objects) {
        JsonNode scaled = one(objects, "ScaledObject");
        assertThat(scaled.get("apiVersion").asText()).isEqualTo("keda.sh/v1alpha1");
        assertThat(scaled.at("/spec/scaleTargetRef/name").asText()).isEqualTo("narrator");
        assertThat(scaled.at("/spec/maxReplicaCount").asText()).isEqualTo(narratorProperties.getProperty("topic.partitions"));
        List<String> topics = new ArrayList<>();
        for (JsonNode trigger : scaled.at("/spec/triggers")) {
            assertThat(trigger.get("type").asText()).isEqualTo("kafka");
            JsonNode m = trigger.get("metadata");
            assertThat(m.get("bootstrapServers").asText()).isEqualTo(narratorProperties.getProperty("bootstrap.servers"));
            assertThat(m.get("consumerGroup").asText()).isEqualTo(narratorProperties.getProperty("application.id"));
            assertThat(Long.parseLong(m.get("lagThreshold").asText())).isPositive();
            topics.add(m.get("topic").asText());
            assertThat(trigger.at("/authenticationRef/name").asText()).isEqualTo(one(objects, "TriggerAuthentication").at("/metadata/name").asText());
        }
        String prefix = narratorProperties.getProperty("topic.prefix");
        assertThat(topics).containsExactlyInAnyOrder(prefix + "frames", prefix + "segments");
    }

    @Test
    void theGpuOverlayAsksForAGpuRunsTheCudaImageAndScalesOnLag() throws Exception {
        requireKubectl();
        Map<String, List<JsonNode>> objects = render(DEPLOY.resolve("overlays/gpu"));
        commonFacts(objects, "0.1.0-cuda");
        kedaFacts(objects);
        JsonNode c = container(objects);
        assertThat(c.at("/resources/limits/nvidia.com~1gpu").asInt()).isEqualTo(1);
        JsonNode pod = one(objects, "Deployment").at("/spec/template/spec");
        assertThat(pod.get("tolerations").findValuesAsText("key")).contains("nvidia.com/gpu");
        assertThat(pod.get("nodeSelector").size()).isPositive();
        assertThat(c.get("env").toString()).contains("\"name\":\"NARRATOR_MODEL_DEVICE\",\"value\":\"gpu\"").contains("POD_NAME");
        assertThat(gib(c.at("/resources/limits/ephemeral-storage").asText()))
                .isGreaterThan(gib(container(render(DEPLOY)).at("/resources/limits/ephemeral-storage").asText()));
        assertThat(c.at("/startupProbe/httpGet/path").asText()).isEqualTo("/health/live");
    }

    @Test
    void theConfigurationAndTheExampleSecretsAreValid() throws Exception {
        // no typo of a Narrator key, valid values (no kubectl needed)
        Map<String, String> config = new TreeMap<>();
        narratorProperties.stringPropertyNames().forEach(k -> config.put(k, narratorProperties.getProperty(k)));
        NarratorConfig.of(config);
        JsonNode secret = YAML.readTree(DEPLOY.resolve("secret.example.yaml").toFile());
        assertThat(secret.get("kind").asText()).isEqualTo("Secret");
        assertThat(secret.at("/metadata/name").asText()).isEqualTo("narrator-kafka-client");
        Properties client = new Properties();
        client.load(new StringReader(secret.at("/stringData/client.properties").asText()));
        assertThat(client).containsKeys("security.protocol", "sasl.mechanism", "sasl.jaas.config");
        Map<String, String> clientKeys = new TreeMap<>();
        client.stringPropertyNames().forEach(k -> clientKeys.put(k, client.getProperty(k)));
        assertThat(NarratorConfig.of(clientKeys).clientProperties()).containsEntry("security.protocol", "SASL_SSL");
        JsonNode keda = YAML.readTree(DEPLOY.resolve("autoscale/keda/secret.example.yaml").toFile());
        JsonNode auth = YAML.readTree(DEPLOY.resolve("autoscale/keda/triggerauthentication.yaml").toFile());
        for (JsonNode ref : auth.at("/spec/secretTargetRef")) {
            assertThat(ref.get("name").asText()).isEqualTo(keda.at("/metadata/name").asText());
            assertThat(keda.at("/stringData").has(ref.get("key").asText())).as(ref.toString()).isTrue();
        }
    }

    private static double gib(String quantity) {
        assertThat(quantity).matches("\\d+(Gi|Mi)");
        double n = Double.parseDouble(quantity.substring(0, quantity.length() - 2));
        return quantity.endsWith("Gi") ? n : n / 1024;
    }

    private static String readUnchecked(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
