package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code /metrics} of a fresh narrator (a real broker, the fake narration, nothing ingested): every Narrator counter
 * and latency at 0 for each tag value, the engine's queue depth, JVM and process metrics, HELP text on every metric and
 * seconds as the time unit; and the queries of the Grafana dashboard and the Prometheus rules in docker/ against it:
 * every metric they name is one the narrator serves and, where Debian's {@code prometheus} is installed, a real
 * Prometheus scraping the narrator evaluates each of them.
 */
class MetricsEndpointIT {
    /**
     * Metrics the dashboard or the rules query that the narrator does not register yet. The test checks that these, and
     * only these, are missing: remove a name once its metric is registered.
     */
    static final Set<String> AWAITING = Set.of();
    /** Series Prometheus makes itself rather than scrapes. */
    private static final Set<String> PROMETHEUS_OWN = Set.of("up");
    private static final Path DASHBOARD = Path.of("docker", "grafana", "dashboards", "narrator.json");
    private static final Path RULES = Path.of("docker", "prometheus", "rules", "narrator.yml");

    private static EmbeddedKafkaBroker broker;
    private static NarratorApp app;
    private static String scrape;

    @BeforeAll
    static void startAFreshNarrator() throws Exception {
        broker = EmbeddedKafkaBroker.start();
        NarratorConfig config = KafkaTestSupport.config(broker.bootstrapServers(), EndToEnd.unique("metrics"), Map.of("metrics.port", "0"));
        app = NarratorApp.create(config, new FakeNarration());
        app.start();
        assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
        scrape = get("/metrics").body();
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
        if (broker != null) broker.close();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + app.metricsPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Sample lines of the scrape: series (name and labels as written) to value. */
    private static Map<String, String> samples() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : scrape.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int space = line.lastIndexOf(' ');
            out.put(line.substring(0, space), line.substring(space + 1));
        }
        return out;
    }

    /** The metric names of the scrape's samples (histograms' _bucket, _count and _sum included). */
    private static Set<String> sampleNames() {
        Set<String> names = new TreeSet<>();
        for (String series : samples().keySet()) names.add(series.replaceAll("\\{.*", ""));
        return names;
    }

    @Test
    void everyNarratorCounterAndLatencyIsThereAtZeroBeforeAnythingHappens() {
        Map<String, String> samples = samples();
        for (NarratorMetrics.CounterSpec spec : NarratorMetrics.COUNTERS) {
            String name = spec.name().replace('.', '_') + "_total";
            if (spec.tag() == null) assertThat(samples).as(name).containsEntry(name, "0.0");
            for (String value : spec.values()) assertThat(samples).as(name).containsEntry(name + "{" + spec.tag() + "=\"" + value + "\"}", "0.0");
        }
        for (DeadLetterReason reason : DeadLetterReason.values())
            assertThat(samples).containsEntry("narrator_dead_letters_total{reason=\"" + reason.name() + "\"}", "0.0");
        for (String stage : NarratorMetrics.LATENCY_STAGES) {
            assertThat(samples).containsEntry("narrator_latency_seconds_count{stage=\"" + stage + "\"}", "0");
            assertThat(samples).containsKey("narrator_latency_seconds_bucket{stage=\"" + stage + "\",le=\"+Inf\"}");
        }
        assertThat(samples).containsEntry("narrator_engine_queue_depth", "0.0").containsEntry("narrator_narration_lag_seconds", "0.0")
                .containsEntry("narrator_engine_threads_alive", "1.0").containsEntry("narrator_engine_failed", "0.0")
                .containsEntry("narrator_prompts_waiting", "0.0").containsEntry("narrator_batch_size_count", "0");
    }

    @Test
    void jvmAndProcessMetricsAreThereEveryMetricHasHelpAndTimesAreInSeconds() throws Exception {
        Set<String> names = sampleNames();
        assertThat(names).contains("jvm_memory_used_bytes", "jvm_memory_max_bytes", "jvm_gc_memory_allocated_bytes_total", "jvm_threads_live_threads",
                "jvm_classes_loaded_classes", "jvm_compilation_seconds_total", "jvm_info", "process_cpu_usage", "process_cpu_seconds_total",
                "process_uptime_seconds", "process_start_time_seconds", "process_files_open_files", "system_cpu_count",
                "kafka_consumer_fetch_manager_records_lag_max", "kafka_stream_thread_process_rate");
        assertThat(names).doesNotContain("process_cpu_time_ns_total", "jvm_compilation_time_ms_total");

        Map<String, String> help = new LinkedHashMap<>();
        List<String> types = new ArrayList<>();
        for (String line : scrape.split("\n")) {
            Matcher h = Pattern.compile("# HELP (\\S+) ?(.*)").matcher(line);
            if (h.matches()) help.put(h.group(1), h.group(2));
            Matcher t = Pattern.compile("# TYPE (\\S+) .*").matcher(line);
            if (t.matches()) types.add(t.group(1));
        }
        assertThat(types).hasSizeGreaterThan(200);
        for (String family : types) assertThat(help.get(family)).as("HELP of " + family).isNotBlank();

        // Prometheus' convention: times in seconds. Kafka's client metrics keep Kafka's own names and units.
        Pattern otherUnit = Pattern.compile("(^|_)(ms|millis|milliseconds|ns|nanos|nanoseconds|us|micros|microseconds|minutes|hours|days)(_|$)");
        for (String family : types)
            if (!family.startsWith("kafka_")) assertThat(otherUnit.matcher(family).find()).as(family).isFalse();
        assertThat(types).contains("narrator_latency_seconds", "narrator_narration_lag_seconds", "narrator_engine_last_batch_timestamp_seconds");

        assertThat(get("/health/live").statusCode()).isEqualTo(200);
        assertThat(get("/health/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void everyMetricTheDashboardAndTheRulesQueryIsOneTheNarratorServes() throws Exception {
        Set<String> queried = new TreeSet<>();
        for (String expr : dashboardQueries()) queried.addAll(metricNames(expr));
        for (String expr : ruleQueries()) queried.addAll(metricNames(expr));
        queried.removeAll(PROMETHEUS_OWN);
        assertThat(queried).contains("narrator_captions_total", "narrator_latency_seconds_bucket", "narrator_narration_lag_seconds",
                "narrator_dead_letters_total", "narrator_alerts_total", "kafka_consumer_fetch_manager_records_lag_max");
        Set<String> missing = new TreeSet<>(queried);
        missing.removeAll(sampleNames());
        assertThat(missing).as("queried but not served (AWAITING lists the metrics still to come; remove a name once it is served)")
                .isEqualTo(new TreeSet<>(AWAITING));
    }

    @Test
    void aRealPrometheusScrapingTheNarratorEvaluatesEveryDashboardQuery(@TempDir Path dir) throws Exception {
        assumeTrue(onPath("prometheus"), "prometheus (Debian's prometheus package) is not installed");
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        Path config = Files.writeString(dir.resolve("prometheus.yml"), String.join("\n",
                "global:", "  scrape_interval: 1s",
                "scrape_configs:", "  - job_name: narrator", "    static_configs:", "      - targets: ['localhost:" + app.metricsPort() + "']", ""));
        Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        try {
            String api = "http://127.0.0.1:" + port + "/api/v1/query?query=";
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int scrapes = 0;
            while (scrapes < 6) { // enough samples for every rate over 15 s
                assertThat(System.nanoTime()).as("Prometheus scraping the narrator:\n" + Files.readString(dir.resolve("prometheus.log"))).isLessThan(deadline);
                Thread.sleep(1000);
                JsonNode up = query(api, "count_over_time(up{job=\"narrator\"}[1m])");
                if (up != null && up.at("/data/result").size() == 1) scrapes = up.at("/data/result/0/value/1").asInt();
            }
            assertThat(query(api, "up{job=\"narrator\"}").at("/data/result/0/value/1").asText()).isEqualTo("1");
            for (String expr : dashboardQueries()) {
                String concrete = expr.replace("$__rate_interval", "15s").replace("$instance", ".*");
                JsonNode answer = query(api, concrete);
                assertThat(answer).as(concrete).isNotNull();
                assertThat(answer.get("status").asText()).as(concrete + "\n" + answer).isEqualTo("success");
                if (metricNames(expr).stream().anyMatch(AWAITING::contains)) continue;
                // a panel that hides zero series is checked without that filter: its selectors must match
                String unfiltered = concrete.replaceAll("\\s*>\\s*0$", "");
                assertThat(query(api, unfiltered).at("/data/result").size()).as("series of " + unfiltered).isPositive();
            }
            for (String expr : ruleQueries())
                assertThat(query(api, expr).get("status").asText()).as(expr).isEqualTo("success");
        } finally {
            prometheus.destroy();
            if (!prometheus.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) prometheus.destroyForcibly();
        }
    }

    /** The answer of Prometheus' query API, or null while it does not answer. */
    private static JsonNode query(String api, String expr) throws Exception {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(api + URLEncoder.encode(expr, StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
            return new ObjectMapper().readTree(r.body());
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** Every query of the dashboard: its panels' targets and its variables. */
    static List<String> dashboardQueries() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        List<String> out = new ArrayList<>(dashboard.findValuesAsText("expr"));
        for (JsonNode variable : dashboard.at("/templating/list")) {
            Matcher m = Pattern.compile("label_values\\((.+),\\s*\\w+\\)").matcher(variable.at("/query/query").asText());
            assertThat(m.matches()).as(variable.toString()).isTrue();
            out.add(m.group(1));
        }
        assertThat(out).hasSizeGreaterThan(10);
        return out;
    }

    /** The expressions of the Prometheus alerting rules. */
    static List<String> ruleQueries() throws Exception {
        return new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile()).findValuesAsText("expr");
    }

    private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
            "unless", "bool", "offset", "inf", "nan");

    /** The metric names a PromQL expression selects: identifiers that are not functions, keywords, labels or strings. */
    static Set<String> metricNames(String expr) {
        String s = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"") // strings
                .replaceAll("\\{[^}]*}", " ") // label matchers
                .replaceAll("\\[[^]]*]", " ") // ranges
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " "); // label lists
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\s*\\()?").matcher(s);
        while (m.find()) {
            if (m.group(1) != null) continue; // a function
            String word = m.group().strip();
            if (!PROMQL_WORDS.contains(word.toLowerCase(java.util.Locale.ROOT))) names.add(word);
        }
        return names;
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
            if (Files.isExecutable(Path.of(dir, command))) return true;
        return false;
    }
}
