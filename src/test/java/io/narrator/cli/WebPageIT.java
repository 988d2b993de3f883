package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Alert;
import io.narrator.avro.AlertRuleKind;
import io.narrator.stream.AvroSerde;
import io.narrator.train.world.WorldVideo;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The live web page in a real browser (Debian's headless Chromium, driven by Selenium through chromium-driver) during a
 * demo run with the bundled model: the page opens before any caption exists, a second stream is ingested as segments
 * while it is open, and every stream's captions and latest frame appear on it, with the dead letters and a highlighted
 * alert. With
 * {@code -Dnarrator.regenerate.docs=true} it saves its screenshot as docs/images/web.png.
 */
class WebPageIT {
    /** Where the page's screenshot for the README lives. */
    static final Path SCREENSHOT = Path.of("docs/images/web.png");
    private static final Duration PATIENCE = Duration.ofMinutes(4);

    @TempDir static Path dir;
    static Path chromium;
    static Path chromedriver;

    private Cli.Running demo;
    private WebDriver browser;

    @BeforeAll
    static void browser() {
        chromium = executable("chromium", "chromium-browser", "google-chrome").orElse(null);
        chromedriver = executable("chromedriver").orElse(null);
        Assumptions.assumeTrue(chromium != null && chromedriver != null,
                "no chromium and chromedriver on the PATH (Debian: apt-get install chromium chromium-driver; .ci/run installs them)");
    }

    private static Optional<Path> executable(String... names) {
        for (String dirName : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator))
            for (String name : names) {
                Path p = Path.of(dirName, name);
                if (Files.isExecutable(p)) return Optional.of(p);
            }
        return Optional.empty();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (browser != null) browser.quit();
        if (demo != null) demo.stop();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String group(String text, Pattern pattern) {
        Matcher m = pattern.matcher(text);
        if (!m.find()) throw new AssertionError("no " + pattern + " in:\n" + text);
        return m.group(1);
    }

    @Test
    void thePageShowsEveryStreamsCaptionsAsTheyArriveItsLatestFrameTheDeadLettersAndAlerts() throws Exception {
        int port = freePort();
        demo = new Cli.Running("demo", "--follow", "--web-port", String.valueOf(port), "--seconds", "16", "--seed", "3");
        demo.awaitOutput("web page at http://localhost:" + port + "/");
        String broker = group(demo.out(), Pattern.compile("embedded Kafka broker on (\\S+)"));
        Properties client = new Properties();
        client.put("bootstrap.servers", broker);
        try (Admin admin = Admin.create(client)) { // where alerts are published once a rule is set
            admin.createTopics(List.of(new NewTopic("narrator.alerts", 1, (short) 1))).all().get();
        }

        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000",
                "--hide-scrollbars", "--force-device-scale-factor=1");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        WebDriverWait wait = new WebDriverWait(browser, PATIENCE, Duration.ofMillis(250));
        browser.get("http://localhost:" + port + "/");
        wait.until(b -> b.findElement(By.id("status")).getText().equals("live"));

        // a second stream, as MPEG-TS segments, while the page is open; and a record the narrator must dead-letter
        demo.awaitOutput("narrator running; ingesting the clip as stream world; watch it on http://localhost:" + port + "/");
        Path clip = dir.resolve("lobby.mp4");
        new WorldVideo(5, 8, 15, 320, 240).write(clip);
        Path config = dir.resolve("demo.properties");
        Files.writeString(config, "topic.partitions=1\n"); // the demo's topics have one partition
        Cli.Result ingest = Cli.run("ingest", clip.toString(), "--stream-id", "lobby", "--as", "segments", "--bootstrap-servers", broker,
                "--config", config.toString());
        assertThat(ingest.exitCode()).as(ingest.toString()).isZero();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(client, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("narrator.frames", "door", "not a frame".getBytes())).get();
        }

        // the demo's stream: every caption the demo printed is on the page, newest first
        demo.awaitOutput("the clip is narrated; still running");
        List<String> printed = new ArrayList<>();
        for (String line : demo.out().split("\\R")) {
            Matcher m = CaptionCommandTest.LINE.matcher(line);
            if (m.matches() && m.group(1).equals("world")) printed.add(m.group(10));
        }
        assertThat(printed).hasSize(4);
        List<String> newestFirst = new ArrayList<>(printed);
        java.util.Collections.reverse(newestFirst);
        wait.until(b -> captionTexts(b, "world").equals(newestFirst));

        // an alert about one of its clips (as a KEYWORD rule on its caption publishes it) is highlighted: the panel, the
        // stream's card and the clip's caption
        WebElement alerted = browser.findElements(By.cssSelector("article.stream[data-stream='world'] li.caption")).get(1);
        long windowEnd = Long.parseLong(alerted.getAttribute("data-window-end"));
        String text = alerted.findElement(By.cssSelector(".text")).getText();
        String word = text.substring(text.lastIndexOf(' ') + 1);
        Alert alert = Alert.newBuilder().setStreamId("world").setClipIndex(2).setWindowStartMicros(windowEnd - 8_000_000).setWindowEndMicros(windowEnd)
                .setRuleId("watch-word").setRuleScope("world").setRuleVersion("world/watch-word@0").setRuleKind(AlertRuleKind.KEYWORD)
                .setPattern(word).setMatchedText(word).setCaption(text).setModelName("narrator-tiny").setModelVersion("1.9.0").setLatencyMs(200)
                .setCreatedAtMillis(System.currentTimeMillis()).build();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(client, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("narrator.alerts", "world", AvroSerde.of(Alert.class).encode(alert))).get();
        }
        WebElement shown = wait.until(b -> b.findElement(By.cssSelector("#alert-list li.alert[data-stream='world']")));
        assertThat(shown.getText()).contains("watch-word: \u201c" + word + "\u201d in \u201c" + text + "\u201d");
        assertThat(browser.findElement(By.id("alerts")).isDisplayed()).isTrue();
        assertThat(browser.findElement(By.cssSelector("article.stream[data-stream='world']")).getAttribute("class")).contains("alerted");
        assertThat(browser.findElement(By.cssSelector("article.stream[data-stream='world'] .alert-badge")).getText()).isEqualTo("1 alert");
        assertThat(browser.findElements(By.cssSelector("article.stream[data-stream='world'] li.caption.alerted")))
                .singleElement().extracting(e -> e.getAttribute("data-window-end")).isEqualTo(String.valueOf(windowEnd));

        // the segments stream: its captions arrive while the page is open
        wait.until(b -> captionTexts(b, "lobby").size() >= 2);
        assertThat(captionTexts(browser, "lobby")).allSatisfy(t -> assertThat(t).isNotBlank().doesNotStartWith("no caption"));
        assertThat(browser.findElements(By.cssSelector("article.stream[data-stream='lobby'] li.caption.new"))).isNotEmpty();

        // each stream's latest frame is an image the browser decoded: JPEG frames and a segment's last frame
        for (String stream : List.of("world", "lobby")) {
            WebElement img = wait.until(b -> b.findElement(By.cssSelector("article.stream[data-stream='" + stream + "'] img.frame")));
            wait.until(b -> loadedWidth(b, img) > 0);
            assertThat(loadedWidth(browser, img)).as("%s's frame width", stream).isEqualTo(320);
            assertThat(img.getAttribute("src")).contains("api/frame?stream=" + stream + "&t=");
        }

        // the dead letter, by key and reason
        WebElement row = wait.until(b -> b.findElement(By.cssSelector("#dead-letters tr[data-key='door'][data-reason='NOT_AVRO']")));
        assertThat(row.findElement(By.cssSelector("td.count")).getText()).isEqualTo("1");
        assertThat(browser.findElements(By.cssSelector("article.stream"))).extracting(e -> e.getAttribute("data-stream")).containsExactly("lobby", "world");

        // health on the web port is the narrator's
        HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).isEqualTo(200);

        byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Files.createDirectories(Path.of("target"));
        Files.write(Path.of("target/web-page.png"), png);
        if (Boolean.getBoolean("narrator.regenerate.docs")) {
            Files.createDirectories(SCREENSHOT.getParent());
            Files.write(SCREENSHOT, png);
        }
        assertThat(Arrays.copyOf(png, 4)).containsExactly(0x89, 'P', 'N', 'G');

        browser.quit();
        browser = null;
        Cli.Result stopped = demo.stop();
        demo = null;
        assertThat(stopped.exitCode()).as(stopped.toString()).isZero();
    }

    /** The caption texts a stream's card shows, newest first. */
    private static List<String> captionTexts(WebDriver browser, String stream) {
        return browser.findElements(By.cssSelector("article.stream[data-stream='" + stream + "'] li.caption .text")).stream().map(WebElement::getText).toList();
    }

    private static long loadedWidth(WebDriver browser, WebElement img) {
        Object width = ((JavascriptExecutor) browser).executeScript("return arguments[0].complete ? arguments[0].naturalWidth : 0;", img);
        return width instanceof Number n ? n.longValue() : 0;
    }
}
