package io.narrator.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * A client of the part of the Schema Registry REST API that Narrator needs (Confluent's API, which Confluent Schema
 * Registry, Karapace, Redpanda and Apicurio's {@code /apis/ccompat/v7} serve): register a schema under a subject, or
 * look it up there ({@code POST /subjects/{subject}/versions}, {@code POST /subjects/{subject}}), and fetch a schema by
 * its id ({@code GET /schemas/ids/{id}}). Answers are cached: ids never change meaning. Thread-safe.
 *
 * <p>A schema id the registry does not know is remembered as unknown for {@link #UNKNOWN_ID_RETRY}, and after a failure
 * to reach the registry every request fails at once for {@link #UNREACHABLE_BACKOFF}, so that a flood of records with
 * unknown ids, or an outage, costs the stream threads no more than one request per period. Errors carry the registry's
 * own {@code error_code} and message.
 */
public final class SchemaRegistryClient {
    /** How long one request may take. */
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** How long an id the registry did not know stays unknown before it is asked again. */
    static final Duration UNKNOWN_ID_RETRY = Duration.ofSeconds(30);
    /** How long requests fail at once after the registry could not be reached. */
    static final Duration UNREACHABLE_BACKOFF = Duration.ofSeconds(5);
    private static final int MAX_RESPONSE_BYTES = 4 << 20;
    private static final int MAX_UNKNOWN_IDS = 10_000;
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SchemaRegistrySettings settings;
    private final Map<Integer, Schema> schemas = new ConcurrentHashMap<>();
    private final Map<Integer, Failure> unknownIds = new ConcurrentHashMap<>();
    private final Map<String, Integer> registered = new ConcurrentHashMap<>();
    private volatile Failure unreachable;
    private volatile HttpClient http;

    private record Failure(long untilNanos, SchemaRegistryException error) {
        boolean current() {
            return System.nanoTime() - untilNanos < 0;
        }
    }

    /** A client of the registry in {@code settings}, which must have a URL. */
    public SchemaRegistryClient(SchemaRegistrySettings settings) {
        if (settings == null || !settings.configured()) throw new IllegalArgumentException("the Schema Registry client needs schema.registry.url");
        this.settings = settings;
    }

    /** A client of the configured registry, or null when {@code schema.registry.url} is empty. */
    public static SchemaRegistryClient from(NarratorConfig config) {
        return config.schemaRegistry().configured() ? new SchemaRegistryClient(config.schemaRegistry()) : null;
    }

    /** The registry's base URLs. */
    public List<URI> urls() {
        return settings.urls();
    }

    /**
     * The id of {@code schema} under {@code subject}: registered there if it is not yet (with
     * {@code schema.registry.auto.register=true}, the registry answering with the existing id when it is), else only looked up.
     *
     * @throws SchemaRegistryException when the registry refuses it (incompatible with the subject's schemas, not registered
     *     and registering is off, unauthorised) or cannot be reached
     */
    public int register(String subject, Schema schema) {
        String text = schema.toString();
        Integer known = registered.get(subject + "\n" + text);
        if (known != null) return known;
        String path = "/subjects/" + URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20") + (settings.autoRegister() ? "/versions" : "");
        String body;
        try {
            body = JSON.writeValueAsString(Map.of("schema", text));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        JsonNode answer;
        try {
            answer = send("POST", path, body);
        } catch (SchemaRegistryException e) {
            if (!settings.autoRegister() && (e.errorCode() == 40401 || e.errorCode() == 40403))
                throw new SchemaRegistryException(e.status(), e.errorCode(), "schema " + schema.getFullName() + " is not registered under subject " + subject
                        + " and " + ConfigKey.SCHEMA_REGISTRY_AUTO_REGISTER.key() + "=false: register it, or let Narrator (" + e.getMessage() + ")");
            throw new SchemaRegistryException(e.status(), e.errorCode(), "cannot " + (settings.autoRegister() ? "register" : "look up") + " schema "
                    + schema.getFullName() + " under subject " + subject + ": " + e.getMessage());
        }
        JsonNode id = answer.get("id");
        if (id == null || !id.canConvertToInt())
            throw new SchemaRegistryException(200, -1, "the schema registry's answer to " + path + " has no schema id: " + abbreviate(answer.toString()));
        registered.put(subject + "\n" + text, id.intValue());
        schemas.putIfAbsent(id.intValue(), schema);
        return id.intValue();
    }

    /**
     * The schema with id {@code id}.
     *
     * @throws SchemaRegistryException when the registry does not know the id (error code 40403), the schema is not an Avro
     *     schema, or the registry cannot be reached
     */
    public Schema schema(int id) {
        Schema known = schemas.get(id);
        if (known != null) return known;
        Failure failed = unknownIds.get(id);
        if (failed != null && failed.current()) throw failed.error();
        JsonNode answer;
        try {
            answer = send("GET", "/schemas/ids/" + id, null);
        } catch (SchemaRegistryException e) {
            if (e.status() == 404) {
                if (unknownIds.size() >= MAX_UNKNOWN_IDS) unknownIds.clear();
                unknownIds.put(id, new Failure(System.nanoTime() + UNKNOWN_ID_RETRY.toNanos(), e));
            }
            throw e;
        }
        JsonNode type = answer.get("schemaType");
        if (type != null && !type.asText().equals("AVRO"))
            throw new SchemaRegistryException(200, -1, "schema id " + id + " is a " + type.asText() + " schema, not Avro");
        JsonNode references = answer.get("references");
        if (references != null && references.size() > 0)
            throw new SchemaRegistryException(200, -1, "schema id " + id + " refers to other schemas (schema references), which Narrator does not resolve");
        JsonNode text = answer.get("schema");
        if (text == null || !text.isTextual())
            throw new SchemaRegistryException(200, -1, "the schema registry's answer for schema id " + id + " has no schema: " + abbreviate(answer.toString()));
        Schema schema;
        try {
            schema = new Schema.Parser().parse(text.asText());
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException(200, -1, "schema id " + id + " is not a valid Avro schema: " + e.getMessage());
        }
        Schema raced = schemas.putIfAbsent(id, schema);
        return raced == null ? schema : raced;
    }

    private JsonNode send(String method, String path, String body) {
        Failure down = unreachable;
        if (down != null && down.current()) throw down.error();
        List<String> failures = new ArrayList<>();
        for (URI base : settings.urls()) {
            URI uri = URI.create(base + path);
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                    .header("Accept", CONTENT_TYPE + ", application/vnd.schemaregistry+json; q=0.9, application/json; q=0.5");
            if (!settings.userInfo().isEmpty())
                request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(settings.userInfo().getBytes(StandardCharsets.UTF_8)));
            if (body == null) request.GET();
            else request.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            HttpResponse<InputStream> response;
            byte[] bytes;
            try {
                response = http().send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream in = response.body()) {
                    bytes = in.readNBytes(MAX_RESPONSE_BYTES + 1);
                }
            } catch (IOException e) {
                failures.add(base + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException(-1, -1, "interrupted while asking the schema registry at " + base);
            }
            if (bytes.length > MAX_RESPONSE_BYTES)
                throw new SchemaRegistryException(response.statusCode(), -1, "the schema registry at " + base + " answered " + method + " " + path
                        + " with more than " + MAX_RESPONSE_BYTES + " bytes");
            String text = new String(bytes, StandardCharsets.UTF_8);
            JsonNode json;
            try {
                json = JSON.readTree(text);
            } catch (IOException e) {
                json = null;
            }
            int status = response.statusCode();
            if (status / 100 == 2 && json != null && json.isObject()) return json;
            if (status / 100 == 2)
                throw new SchemaRegistryException(status, -1, "the schema registry at " + base + " answered " + method + " " + path + " with no JSON object: "
                        + abbreviate(text));
            int code = json != null && json.has("error_code") ? json.get("error_code").asInt(-1) : -1;
            String message = json != null && json.has("message") ? json.get("message").asText() : abbreviate(text);
            throw new SchemaRegistryException(status, code, "the schema registry at " + base + " answered " + method + " " + path + " with HTTP " + status
                    + (code >= 0 ? " (error " + code + ")" : "") + ": " + message + hint(status));
        }
        SchemaRegistryException error = new SchemaRegistryException(-1, -1, "cannot reach the schema registry (" + String.join("; ", failures) + ")");
        unreachable = new Failure(System.nanoTime() + UNREACHABLE_BACKOFF.toNanos(), error);
        throw error;
    }

    private static String hint(int status) {
        return switch (status) {
            case 401 -> "; check " + ConfigKey.SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO.key();
            case 403 -> "; the credentials lack the permission";
            default -> "";
        };
    }

    private HttpClient http() {
        HttpClient client = http;
        if (client == null) {
            synchronized (this) {
                if (http == null)
                    http = HttpClient.newBuilder().connectTimeout(TIMEOUT).sslContext(settings.tls().context()).followRedirects(HttpClient.Redirect.NORMAL).build();
                client = http;
            }
        }
        return client;
    }

    private static String abbreviate(String s) {
        String one = s.replaceAll("\\s+", " ").trim();
        return one.length() > 200 ? one.substring(0, 200) + "..." : one;
    }

    /**
     * The registry refused a request or could not be reached: {@link #status()} is the HTTP status (-1 when it was not
     * reached), {@link #errorCode()} the registry's {@code error_code} (e.g. 40403 schema not found, 409 incompatible, -1 none).
     */
    public static final class SchemaRegistryException extends RuntimeException {
        private final int status;
        private final int errorCode;

        SchemaRegistryException(int status, int errorCode, String message) {
            super(message);
            this.status = status;
            this.errorCode = errorCode;
        }

        public int status() {
            return status;
        }

        public int errorCode() {
            return errorCode;
        }

        /** True when the registry was not reached (nothing said about the request itself: try again later). */
        public boolean unreachable() {
            return status < 0;
        }
    }
}
