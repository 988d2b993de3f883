package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Schema Registry client against the REST test double: registering, looking up, fetching by id, errors, auth and TLS. */
class SchemaRegistryClientTest {
    private static SchemaRegistryClient client(String url, Map<String, String> extra) {
        Map<String, String> p = new HashMap<>(extra);
        p.put("schema.registry.url", url);
        return new SchemaRegistryClient(NarratorConfig.of(p).schemaRegistry());
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void registersUnderTheSubjectOnceAndFetchesSchemasById() {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            SchemaRegistryClient client = client(registry.url(), Map.of());
            int id = client.register("narrator.captions-value", Caption.getClassSchema());
            assertThat(client.register("narrator.captions-value", Caption.getClassSchema())).isEqualTo(id);
            assertThat(registry.versions("narrator.captions-value")).containsExactly(id);
            assertThat(registry.log()).containsExactly("POST /subjects/narrator.captions-value/versions");
            int letters = client.register("narrator.dead-letters-value", DeadLetter.getClassSchema());
            assertThat(letters).isNotEqualTo(id);

            SchemaRegistryClient reader = client(registry.url(), Map.of());
            assertThat(reader.schema(letters)).isEqualTo(DeadLetter.getClassSchema());
            assertThat(reader.schema(letters)).isEqualTo(DeadLetter.getClassSchema());
            assertThat(registry.log()).containsExactly("POST /subjects/narrator.captions-value/versions",
                    "POST /subjects/narrator.dead-letters-value/versions", "GET /schemas/ids/" + letters);
        }
    }

    @Test
    void withAutoRegisterOffOnlyLooksTheSchemaUp() {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            SchemaRegistryClient client = client(registry.url(), Map.of("schema.registry.auto.register", "false"));
            assertThatThrownBy(() -> client.register("narrator.captions-value", Caption.getClassSchema()))
                    .isInstanceOf(SchemaRegistryClient.SchemaRegistryException.class)
                    .hasMessage("schema io.narrator.avro.Caption is not registered under subject narrator.captions-value and schema.registry.auto.register=false:"
                            + " register it, or let Narrator (the schema registry at " + registry.url() + " answered POST /subjects/narrator.captions-value"
                            + " with HTTP 404 (error 40401): Subject 'narrator.captions-value' not found.)");
            registry.register("narrator.captions-value", DeadLetter.getClassSchema());
            assertThatThrownBy(() -> client.register("narrator.captions-value", Caption.getClassSchema()))
                    .hasMessageContaining("(error 40403): Schema not found");
            int id = registry.register("narrator.captions-value", Caption.getClassSchema());
            assertThat(client.register("narrator.captions-value", Caption.getClassSchema())).isEqualTo(id);
            assertThat(registry.versions("narrator.captions-value")).hasSize(2);
        }
    }

    @Test
    void anIncompatibleSchemaIsRefusedWithTheRegistrysReason() {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            Schema old = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Caption\",\"namespace\":\"io.narrator.avro\",\"fields\":[{\"name\":\"streamId\",\"type\":\"int\"}]}");
            registry.register("narrator.captions-value", old);
            assertThatThrownBy(() -> client(registry.url(), Map.of()).register("narrator.captions-value", Caption.getClassSchema()))
                    .isInstanceOf(SchemaRegistryClient.SchemaRegistryException.class)
                    .hasMessageStartingWith("cannot register schema io.narrator.avro.Caption under subject narrator.captions-value: the schema registry at "
                            + registry.url() + " answered POST /subjects/narrator.captions-value/versions with HTTP 409 (error 409): Schema being registered"
                            + " is incompatible with an earlier schema for subject \"narrator.captions-value\"")
                    .satisfies(e -> assertThat(((SchemaRegistryClient.SchemaRegistryException) e).errorCode()).isEqualTo(409));
        }
    }

    @Test
    void anUnknownIdIsRememberedForAWhile() {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            SchemaRegistryClient client = client(registry.url(), Map.of());
            assertThatThrownBy(() -> client.schema(41)).isInstanceOf(SchemaRegistryClient.SchemaRegistryException.class)
                    .hasMessage("the schema registry at " + registry.url() + " answered GET /schemas/ids/41 with HTTP 404 (error 40403): Schema 41 not found");
            assertThatThrownBy(() -> client.schema(41)).hasMessageContaining("Schema 41 not found");
            assertThat(registry.requests()).isEqualTo(1);
        }
    }

    @Test
    void basicAuthenticationIsSentAndARefusalSaysWhichSettingToCheck() {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start("narrator:s3cret", null)) {
            assertThatThrownBy(() -> client(registry.url(), Map.of()).register("t-value", Caption.getClassSchema()))
                    .hasMessageEndingWith("with HTTP 401 (error 401): Unauthorized; check schema.registry.basic.auth.user.info");
            assertThatThrownBy(() -> client(registry.url(), Map.of("schema.registry.basic.auth.user.info", "narrator:wrong")).register("t-value", Caption.getClassSchema()))
                    .hasMessageContaining("HTTP 401");
            int id = client(registry.url(), Map.of("schema.registry.basic.auth.user.info", "narrator:s3cret")).register("t-value", Caption.getClassSchema());
            assertThat(registry.versions("t-value")).containsExactly(id);
        }
    }

    @Test
    void anUnreachableRegistryIsNamedAndNotAskedAgainAtOnce() throws Exception {
        int port = freePort();
        SchemaRegistryClient client = client("http://127.0.0.1:" + port, Map.of());
        SchemaRegistryClient.SchemaRegistryException first = null;
        try {
            client.schema(3);
        } catch (SchemaRegistryClient.SchemaRegistryException e) {
            first = e;
        }
        assertThat(first).isNotNull();
        assertThat(first.unreachable()).isTrue();
        assertThat(first.getMessage()).startsWith("cannot reach the schema registry (http://127.0.0.1:" + port + ": ");
        SchemaRegistryClient.SchemaRegistryException again = null;
        try {
            client.schema(4);
        } catch (SchemaRegistryClient.SchemaRegistryException e) {
            again = e;
        }
        assertThat(again).as("within the back-off the same failure is reported without a request").isSameAs(first);
        assertThatThrownBy(() -> client.register("t-value", Caption.getClassSchema()))
                .hasMessage("cannot register schema io.narrator.avro.Caption under subject t-value: " + first.getMessage());
    }

    @Test
    void severalUrlsAreTriedInOrder() throws Exception {
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start()) {
            SchemaRegistryClient client = client("http://127.0.0.1:" + freePort() + ", " + registry.url() + "/", Map.of());
            assertThat(client.urls()).hasSize(2);
            int id = client.register("t-value", Caption.getClassSchema());
            assertThat(registry.versions("t-value")).containsExactly(id);
        }
    }

    @Test
    void httpsWithTheConfiguredTrustStore(@TempDir Path dir) throws Exception {
        Path server = dir.resolve("registry.p12");
        keytool("-genkeypair", "-alias", "registry", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", server.toString(), "-storepass", "changeit");
        Path cert = dir.resolve("registry.crt");
        keytool("-exportcert", "-alias", "registry", "-keystore", server.toString(), "-storepass", "changeit", "-file", cert.toString());
        Path trust = dir.resolve("trust.jks");
        keytool("-importcert", "-noprompt", "-alias", "registry", "-file", cert.toString(), "-keystore", trust.toString(), "-storetype", "JKS",
                "-storepass", "trustpass");
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(server)) {
            keys.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        managers.init(keys, "changeit".toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(managers.getKeyManagers(), null, null);
        try (FakeSchemaRegistry registry = FakeSchemaRegistry.start(null, tls)) {
            assertThat(registry.url()).startsWith("https://");
            assertThatThrownBy(() -> client(registry.url(), Map.of()).register("t-value", Caption.getClassSchema()))
                    .as("the JVM's default trust does not know the registry's certificate")
                    .hasMessageStartingWith("cannot register schema io.narrator.avro.Caption under subject t-value: cannot reach the schema registry (" + registry.url());
            SchemaRegistryClient client = client(registry.url(), Map.of("schema.registry.ssl.truststore.location", trust.toString(),
                    "schema.registry.ssl.truststore.password", "trustpass", "schema.registry.ssl.truststore.type", "JKS"));
            int id = client.register("t-value", Caption.getClassSchema());
            assertThat(registry.versions("t-value")).containsExactly(id);
        }
    }

    @Test
    void settingsAreCheckedWhenTheConfigurationIsRead(@TempDir Path dir) {
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("schema.registry.url", "localhost:8081")))
                .hasMessage("schema.registry.url must be http:// or https:// URLs, got 'localhost:8081'");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("schema.registry.url", "http://r:8081", "schema.registry.basic.auth.user.info", "nocolon")))
                .hasMessage("schema.registry.basic.auth.user.info must be user:password");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("schema.registry.basic.auth.user.info", "u:p")))
                .hasMessage("schema.registry.basic.auth.user.info is set but schema.registry.url is empty");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("schema.registry.url", "https://r:8081", "schema.registry.ssl.truststore.location",
                dir.resolve("missing.jks").toString()))).hasMessage("schema.registry.ssl.truststore.location: cannot read " + dir.resolve("missing.jks"));
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("schema.registry.url", "http://r:8081", "schema.registry.ssl.keystore.type", " ")))
                .hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> NarratorConfig.of(Map.of("schema.registry.url", "http://r:8081", "schema.registry.auto.register", "yes")))
                .hasMessage("schema.registry.auto.register must be true or false, got 'yes'");
        assertThat(NarratorConfig.of(Map.of("schema.registry.url", "http://a:8081/, https://b:8081")).schemaRegistry().urls())
                .extracting(Object::toString).containsExactly("http://a:8081", "https://b:8081");
        assertThat(NarratorConfig.defaults().schemaRegistry().configured()).isFalse();
        assertThat(NarratorConfig.of(Map.of("schema.registry.url", "http://r:8081", "schema.registry.basic.auth.user.info", "u:p")).schemaRegistry().toString())
                .doesNotContain("u:p");
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(process.getInputStream().readAllBytes());
        assertThat(process.exitValue()).as("keytool %s: %s", command, out).isZero();
    }
}
