package io.narrator.stream;

import static io.narrator.stream.ConfigKey.*;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Where the Schema Registry is and how to reach it: {@code schema.registry.url} (one or more base URLs, tried in
 * order), HTTP basic authentication ({@code schema.registry.basic.auth.user.info}, {@code user:password}), the TLS
 * trust and key stores ({@code schema.registry.ssl.*}, Confluent's names), and whether Narrator may register its
 * schemas ({@code schema.registry.auto.register}) or only looks them up. No URL means no registry.
 */
public record SchemaRegistrySettings(List<URI> urls, String userInfo, boolean autoRegister, Tls tls) {
    public SchemaRegistrySettings {
        urls = List.copyOf(urls);
        if (userInfo == null) userInfo = "";
        if (tls == null) throw new IllegalArgumentException("TLS settings must not be null (use Tls.NONE)");
        for (URI url : urls) {
            if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme()) || url.getHost() == null)
                throw new IllegalArgumentException(SCHEMA_REGISTRY_URL.key() + " must be http:// or https:// URLs, got '" + url + "'");
            if (url.getQuery() != null || url.getFragment() != null)
                throw new IllegalArgumentException(SCHEMA_REGISTRY_URL.key() + " must be base URLs without a query or fragment, got '" + url + "'");
        }
        if (!userInfo.isEmpty() && !userInfo.contains(":"))
            throw new IllegalArgumentException(SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO.key() + " must be user:password");
        if (!userInfo.isEmpty() && urls.isEmpty())
            throw new IllegalArgumentException(SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO.key() + " is set but " + SCHEMA_REGISTRY_URL.key() + " is empty");
        if (tls.configured() && urls.stream().noneMatch(u -> "https".equals(u.getScheme())))
            throw new IllegalArgumentException("schema.registry.ssl.* settings are given but no " + SCHEMA_REGISTRY_URL.key()
                    + " is https://: they would not be used");
    }

    /** No registry. */
    public static final SchemaRegistrySettings NONE = new SchemaRegistrySettings(List.of(), "", true, Tls.NONE);

    /** True when a registry URL is configured. */
    public boolean configured() {
        return !urls.isEmpty();
    }

    /** The settings in a configuration's properties ({@code schema.registry.*}, every key present). */
    static SchemaRegistrySettings from(Map<String, String> p) {
        List<URI> urls = Arrays.stream(p.get(SCHEMA_REGISTRY_URL.key()).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .map(SchemaRegistrySettings::uri).toList();
        String autoRegister = p.get(SCHEMA_REGISTRY_AUTO_REGISTER.key()).trim();
        if (!autoRegister.equalsIgnoreCase("true") && !autoRegister.equalsIgnoreCase("false"))
            throw new IllegalArgumentException(SCHEMA_REGISTRY_AUTO_REGISTER.key() + " must be true or false, got '" + autoRegister + "'");
        Tls tls = new Tls(
                path(p, SCHEMA_REGISTRY_SSL_TRUSTSTORE_LOCATION), p.get(SCHEMA_REGISTRY_SSL_TRUSTSTORE_PASSWORD.key()), p.get(SCHEMA_REGISTRY_SSL_TRUSTSTORE_TYPE.key()).trim(),
                path(p, SCHEMA_REGISTRY_SSL_KEYSTORE_LOCATION), p.get(SCHEMA_REGISTRY_SSL_KEYSTORE_PASSWORD.key()), p.get(SCHEMA_REGISTRY_SSL_KEYSTORE_TYPE.key()).trim(),
                p.get(SCHEMA_REGISTRY_SSL_KEY_PASSWORD.key()));
        return new SchemaRegistrySettings(urls, p.get(SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO.key()).trim(), Boolean.parseBoolean(autoRegister), tls);
    }

    private static URI uri(String s) {
        try {
            String base = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
            return new URI(base);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(SCHEMA_REGISTRY_URL.key() + " has an invalid URL '" + s + "': " + e.getMessage(), e);
        }
    }

    private static Path path(Map<String, String> p, ConfigKey key) {
        String v = p.get(key.key()).trim();
        return v.isEmpty() ? null : Path.of(v);
    }

    /**
     * The TLS trust store (certificates of the registry's issuers; none: the JVM's default) and key store (this client's
     * certificate, for registries that require one); a null location means none.
     */
    public record Tls(Path truststore, String truststorePassword, String truststoreType, Path keystore, String keystorePassword, String keystoreType,
            String keyPassword) {
        /** No stores of Narrator's own: the JVM's default trust. */
        public static final Tls NONE = new Tls(null, "", "PKCS12", null, "", "PKCS12", "");

        public Tls {
            truststorePassword = truststorePassword == null ? "" : truststorePassword;
            keystorePassword = keystorePassword == null ? "" : keystorePassword;
            keyPassword = keyPassword == null ? "" : keyPassword;
            if (truststoreType == null || truststoreType.isBlank() || keystoreType == null || keystoreType.isBlank())
                throw new IllegalArgumentException("schema.registry.ssl.truststore.type and schema.registry.ssl.keystore.type must not be empty");
            requireReadable(truststore, SCHEMA_REGISTRY_SSL_TRUSTSTORE_LOCATION);
            requireReadable(keystore, SCHEMA_REGISTRY_SSL_KEYSTORE_LOCATION);
        }

        private static void requireReadable(Path file, ConfigKey key) {
            if (file != null && !Files.isReadable(file)) throw new IllegalArgumentException(key.key() + ": cannot read " + file);
        }

        /** True when a trust store or key store is given. */
        public boolean configured() {
            return truststore != null || keystore != null;
        }

        /** The TLS context of these stores (the JVM's default when none is given). */
        SSLContext context() {
            try {
                if (!configured()) return SSLContext.getDefault();
                TrustManagerFactory trust = null;
                if (truststore != null) {
                    trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                    trust.init(load(truststore, truststoreType, truststorePassword, SCHEMA_REGISTRY_SSL_TRUSTSTORE_LOCATION));
                }
                KeyManagerFactory keys = null;
                if (keystore != null) {
                    keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                    String password = keyPassword.isEmpty() ? keystorePassword : keyPassword;
                    keys.init(load(keystore, keystoreType, keystorePassword, SCHEMA_REGISTRY_SSL_KEYSTORE_LOCATION), password.toCharArray());
                }
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
                return context;
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("schema.registry.ssl.* settings: " + e.getMessage(), e);
            }
        }

        private static KeyStore load(Path file, String type, String password, ConfigKey key) throws GeneralSecurityException {
            KeyStore store = KeyStore.getInstance(type);
            try (InputStream in = Files.newInputStream(file)) {
                store.load(in, password.toCharArray());
            } catch (IOException e) {
                throw new IllegalArgumentException(key.key() + ": cannot load " + type + " store " + file + ": " + e.getMessage(), e);
            }
            return store;
        }

        @Override
        public String toString() {
            return "Tls[truststore=" + truststore + ", keystore=" + keystore + "]"; // no passwords in logs
        }
    }

    @Override
    public String toString() {
        return "SchemaRegistrySettings[urls=" + urls + ", basicAuth=" + !userInfo.isEmpty() + ", autoRegister=" + autoRegister + ", tls=" + tls + "]";
    }
}
