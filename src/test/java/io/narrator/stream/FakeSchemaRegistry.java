package io.narrator.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaParseException;

/**
 * A test double of the Schema Registry's REST API subset Narrator and its subscribers use, answering as Confluent Schema
 * Registry does (content type, JSON bodies, {@code error_code}s and messages): {@code POST /subjects/{s}/versions}
 * (register; the same schema keeps its id, across subjects too; BACKWARD compatibility with the subject's latest
 * version, else 409), {@code POST /subjects/{s}} (look up: 40401 subject not found, 40403 schema not found),
 * {@code GET /schemas/ids/{id}} (40403 when unknown), {@code GET /subjects/{s}/versions/latest}, HTTP basic
 * authentication (401) when given credentials, and HTTPS when given a TLS context. It runs in this JVM on the loopback
 * address; {@link #requests()} counts what it was asked.
 */
public final class FakeSchemaRegistry implements AutoCloseable {
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern VERSIONS = Pattern.compile("/subjects/([^/]+)/versions");
    private static final Pattern LATEST = Pattern.compile("/subjects/([^/]+)/versions/latest");
    private static final Pattern SUBJECT = Pattern.compile("/subjects/([^/]+)");
    private static final Pattern BY_ID = Pattern.compile("/schemas/ids/(-?\\d+)");

    private final HttpServer server;
    private final String userInfo;
    private final String scheme;
    /** Schemas by id (ids from 1), and each subject's versions (ids, oldest first). */
    private final Map<Integer, Schema> schemas = new LinkedHashMap<>();
    private final Map<String, List<Integer>> subjects = new LinkedHashMap<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final List<String> log = new ArrayList<>();

    private FakeSchemaRegistry(String userInfo, SSLContext tls) throws IOException {
        this.userInfo = userInfo;
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (tls == null) {
            server = HttpServer.create(address, 0);
            scheme = "http";
        } else {
            HttpsServer https = HttpsServer.create(address, 0);
            https.setHttpsConfigurator(new HttpsConfigurator(tls) {
                @Override
                public void configure(HttpsParameters params) {
                    params.setSSLParameters(tls.getDefaultSSLParameters());
                }
            });
            server = https;
            scheme = "https";
        }
        server.createContext("/", this::handle);
        server.start();
    }

    /** A registry over plain HTTP without authentication. */
    public static FakeSchemaRegistry start() {
        return start(null, null);
    }

    /** A registry requiring basic authentication as {@code userInfo} ({@code user:password}; null: none), over HTTPS with {@code tls} (null: HTTP). */
    public static FakeSchemaRegistry start(String userInfo, SSLContext tls) {
        try {
            return new FakeSchemaRegistry(userInfo, tls);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The base URL to give as {@code schema.registry.url}. */
    public String url() {
        return scheme + "://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Requests answered so far. */
    public int requests() {
        return requests.get();
    }

    /** Each request so far as "METHOD path". */
    public synchronized List<String> log() {
        return List.copyOf(log);
    }

    /** Registers {@code schema} under {@code subject} as a producer would, returning its id. */
    public synchronized int register(String subject, Schema schema) {
        int id = idOf(schema);
        List<Integer> versions = subjects.computeIfAbsent(subject, s -> new ArrayList<>());
        if (!versions.contains(id)) versions.add(id);
        return id;
    }

    /** The ids registered under {@code subject}, oldest first. */
    public synchronized List<Integer> versions(String subject) {
        return List.copyOf(subjects.getOrDefault(subject, List.of()));
    }

    /** The schema with {@code id}, or null. */
    public synchronized Schema schema(int id) {
        return schemas.get(id);
    }

    private int idOf(Schema schema) {
        for (Map.Entry<Integer, Schema> e : schemas.entrySet()) if (e.getValue().equals(schema)) return e.getKey();
        int id = schemas.size() + 1;
        schemas.put(id, schema);
        return id;
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        synchronized (this) {
            log.add(method + " " + path);
        }
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (userInfo != null) {
                String auth = exchange.getRequestHeaders().getFirst("Authorization");
                String expected = "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
                if (!expected.equals(auth)) {
                    exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"SchemaRegistry\"");
                    error(exchange, 401, 401, "Unauthorized");
                    return;
                }
            }
            Matcher m;
            if ((m = BY_ID.matcher(path)).matches()) {
                if (!method.equals("GET")) {
                    error(exchange, 405, 405, "HTTP 405 Method Not Allowed");
                    return;
                }
                int id = Integer.parseInt(m.group(1));
                Schema schema = schema(id);
                if (schema == null) error(exchange, 404, 40403, "Schema " + id + " not found");
                else answer(exchange, JSON.createObjectNode().put("schema", schema.toString()));
            } else if ((m = LATEST.matcher(path)).matches()) {
                String subject = decode(m.group(1));
                List<Integer> versions = versions(subject);
                if (versions.isEmpty()) error(exchange, 404, 40401, "Subject '" + subject + "' not found.");
                else answer(exchange, version(subject, versions.size(), versions.get(versions.size() - 1)));
            } else if ((m = VERSIONS.matcher(path)).matches() && method.equals("POST")) {
                String subject = decode(m.group(1));
                Schema schema = parse(exchange, body);
                if (schema == null) return;
                synchronized (this) {
                    List<Integer> versions = subjects.getOrDefault(subject, List.of());
                    if (!versions.isEmpty()) {
                        Schema latest = schemas.get(versions.get(versions.size() - 1));
                        SchemaCompatibility.SchemaPairCompatibility check = SchemaCompatibility.checkReaderWriterCompatibility(schema, latest);
                        if (!latest.equals(schema) && !versions.contains(idOf(schema))
                                && check.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                            error(exchange, 409, 409, "Schema being registered is incompatible with an earlier schema for subject \"" + subject
                                    + "\", details: [" + check.getResult().getIncompatibilities().stream().map(i -> "{errorType:'" + i.getType()
                                    + "', description:'" + i.getMessage() + "', additionalInfo:'" + i.getLocation() + "'}").toList() + "]");
                            return;
                        }
                    }
                    answer(exchange, JSON.createObjectNode().put("id", register(subject, schema)));
                }
            } else if ((m = SUBJECT.matcher(path)).matches() && method.equals("POST")) {
                String subject = decode(m.group(1));
                Schema schema = parse(exchange, body);
                if (schema == null) return;
                List<Integer> versions = versions(subject);
                if (versions.isEmpty()) {
                    error(exchange, 404, 40401, "Subject '" + subject + "' not found.");
                    return;
                }
                for (int i = 0; i < versions.size(); i++) {
                    if (schema(versions.get(i)).equals(schema)) {
                        answer(exchange, version(subject, i + 1, versions.get(i)));
                        return;
                    }
                }
                error(exchange, 404, 40403, "Schema not found");
            } else {
                error(exchange, 404, 404, "HTTP 404 Not Found");
            }
        }
    }

    private ObjectNode version(String subject, int version, int id) {
        return JSON.createObjectNode().put("subject", subject).put("version", version).put("id", id).put("schema", schema(id).toString());
    }

    private static String decode(String segment) {
        return URLDecoder.decode(segment, StandardCharsets.UTF_8);
    }

    /** The schema of a registration or look-up request, or null after answering why there is none. */
    private static Schema parse(HttpExchange exchange, byte[] body) throws IOException {
        JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (IOException e) {
            error(exchange, 400, 400, "Unrecognized token: was expecting JSON");
            return null;
        }
        JsonNode schemaType = request == null ? null : request.get("schemaType");
        if (schemaType != null && !schemaType.asText().equals("AVRO")) {
            error(exchange, 422, 42201, "Either the input schema or one of its references is invalid");
            return null;
        }
        JsonNode text = request == null ? null : request.get("schema");
        if (text == null || !text.isTextual()) {
            error(exchange, 422, 42201, "Either the input schema or one of its references is invalid");
            return null;
        }
        try {
            return new Schema.Parser().parse(text.asText());
        } catch (SchemaParseException e) {
            error(exchange, 422, 42201, "Either the input schema or one of its references is invalid");
            return null;
        }
    }

    private static void answer(HttpExchange exchange, ObjectNode body) throws IOException {
        send(exchange, 200, JSON.writeValueAsBytes(body));
    }

    private static void error(HttpExchange exchange, int status, int code, String message) throws IOException {
        send(exchange, status, JSON.writeValueAsBytes(JSON.createObjectNode().put("error_code", code).put("message", message)));
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
