import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * A stand-in for a Deephaven service, as far as TLS goes: it reads the properties dh-podman
 * writes, serves HTTPS with the keystore, and makes service-to-service calls with the trust the
 * properties select (internal.tls.truststore, else tls.truststore, else the JVM's system trust),
 * hostname verification on. GET /health and GET /call?url=https://... are all it answers.
 *
 * With tls.clientAuthentication=WANTED or NEEDED it asks callers for a certificate (mutual TLS),
 * verified against the same truststore it trusts for its own calls; NEEDED refuses callers
 * without one. Its own calls always offer the keystore's certificate when a server asks.
 *
 * With probe.mode=proxy it stands in for Envoy where no Envoy image can be had: it presents the
 * front certificate (tls.keystore then holds envoy.pem's key and chain) and forwards every
 * request to probe.upstream over TLS, trusting the internal CAs, hostname verification on.
 */
public final class Probe {
    private final Properties config;
    private final String hostname;
    private final String trustSource;
    private final HttpClient client;

    private Probe(Properties config) throws Exception {
        this.config = config;
        this.hostname = config.getProperty("probe.hostname", defaultHostname());
        String internal = config.getProperty("internal.tls.truststore");
        String external = config.getProperty("tls.truststore");
        String store = internal != null ? internal : external;
        this.trustSource = internal != null ? "internal" : external != null ? "truststore-iris" : "system";
        SSLContext outgoing = outgoingContext(config, store);
        // HttpClient verifies the server's name against the URL host by default; never turned off.
        this.client = HttpClient.newBuilder().sslContext(outgoing).connectTimeout(Duration.ofSeconds(10)).build();
    }

    public static void main(String[] args) throws Exception {
        Properties config = loadConfig();
        Probe probe;
        SSLContext serving;
        String clientAuth;
        try {
            serving = servingContext(config);
            clientAuth = clientAuthentication(config);
            probe = new Probe(config);
        } catch (StartupException e) {
            System.err.println("probe: " + e.getMessage());
            System.exit(2);
            return;
        }
        int port = Integer.parseInt(config.getProperty("probe.port", "8123"));
        HttpsServer server = HttpsServer.create(new InetSocketAddress(port), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serving) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters parameters = serving.getDefaultSSLParameters();
                parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
                // setNeed/setWant each reset the other, so only the one asked for is called.
                if ("NEEDED".equals(clientAuth)) parameters.setNeedClientAuth(true);
                else if ("WANTED".equals(clientAuth)) parameters.setWantClientAuth(true);
                params.setSSLParameters(parameters);
            }
        });
        String upstream = config.getProperty("probe.upstream");
        if ("proxy".equals(config.getProperty("probe.mode"))) {
            if (upstream == null) {
                System.err.println("probe: probe.mode=proxy needs probe.upstream");
                System.exit(2);
            }
            server.createContext("/", exchange -> probe.forward(exchange, upstream));
        } else {
            server.createContext("/health", probe::health);
            server.createContext("/call", probe::call);
        }
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        System.out.println("probe: " + probe.hostname + " listening on " + port + ", keystore "
                + config.getProperty("tls.keystore") + ", outgoing trust " + probe.trustSource
                + ", client certificates " + (clientAuth == null ? "not asked for" : clientAuth) + describeStores(config));
    }

    private void health(HttpExchange exchange) throws IOException {
        respond(exchange, 200, "{\"status\":\"ok\",\"hostname\":" + json(hostname) + ",\"trust\":" + json(trustSource) + "}");
    }

    private void call(HttpExchange exchange) throws IOException {
        String url = queryParameter(exchange.getRequestURI().getRawQuery(), "url");
        if (url == null || !url.startsWith("https://")) {
            respond(exchange, 400, "{\"status\":\"failed\",\"error\":\"url must be an https:// URL\"}");
            return;
        }
        try {
            HttpResponse<String> upstream = client.send(
                    HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            respond(exchange, 200, "{\"status\":\"ok\",\"url\":" + json(url) + ",\"upstreamStatus\":" + upstream.statusCode()
                    + ",\"upstreamBody\":" + json(upstream.body()) + "}");
        } catch (Exception e) {
            respond(exchange, 502, "{\"status\":\"failed\",\"url\":" + json(url) + ",\"error\":" + json(describe(e)) + "}");
        }
    }

    /** The front: the same path and query, sent on to the upstream machine. */
    private void forward(HttpExchange exchange, String upstream) throws IOException {
        URI target = URI.create(upstream + exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()));
        try {
            HttpResponse<String> answer = client.send(
                    HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            respond(exchange, answer.statusCode(), answer.body());
        } catch (Exception e) {
            respond(exchange, 502, "{\"status\":\"failed\",\"upstream\":" + json(target.toString()) + ",\"error\":" + json(describe(e)) + "}");
        }
    }

    /**
     * Client certificates are verified against the store the probe trusts for its own calls:
     * callers are the other machines, whose certificates that store already has to accept.
     */
    private static SSLContext servingContext(Properties config) throws Exception {
        String store = trustStorePath(config);
        boolean asksClients = clientAuthentication(config) != null;
        if (asksClients && store == null) throw new StartupException("tls.clientAuthentication needs tls.truststore to verify client certificates");
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers(config), asksClients ? trustManagers(config, store) : null, null);
        return context;
    }

    /**
     * The keystore's certificate is offered whenever a server asks: mutual TLS needs no other
     * switch. The front offers none, as Envoy's upstream TLS has none.
     */
    private static SSLContext outgoingContext(Properties config, String store) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        KeyManager[] keys = "proxy".equals(config.getProperty("probe.mode")) ? null : keyManagers(config);
        // null trust managers: the JVM's system trust, as SSLContext.getDefault() has.
        context.init(keys, store == null ? null : trustManagers(config, store), null);
        return context;
    }

    private static KeyManager[] keyManagers(Properties config) throws Exception {
        String path = required(config, "tls.keystore");
        char[] passphrase = readPassphrase(required(config, "tls.passphrase.file"));
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(load(path, passphrase), passphrase);
        return keys.getKeyManagers();
    }

    private static TrustManager[] trustManagers(Properties config, String path) throws Exception {
        // Both truststores share one passphrase file, as the trust model specifies.
        char[] passphrase = readPassphrase(required(config, "tls.truststore.passphrase.file"));
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(load(path, passphrase));
        return trust.getTrustManagers();
    }

    private static String trustStorePath(Properties config) {
        String internal = config.getProperty("internal.tls.truststore");
        return internal != null && !internal.isBlank() ? internal : config.getProperty("tls.truststore");
    }

    /** WANTED, NEEDED, or null when client certificates are not asked for. */
    private static String clientAuthentication(Properties config) throws StartupException {
        String value = config.getProperty("tls.clientAuthentication");
        if (value == null || value.isBlank() || value.equals("NONE")) return null;
        if (value.equals("WANTED") || value.equals("NEEDED")) return value;
        throw new StartupException("tls.clientAuthentication=" + value + " is not NONE, WANTED or NEEDED");
    }

    private static KeyStore load(String path, char[] passphrase) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(path)) {
            store.load(in, passphrase);
        } catch (IOException e) {
            throw new StartupException(path + ": cannot be read as PKCS12 with its passphrase (" + e.getMessage() + ")");
        }
        return store;
    }

    /** System properties (DH_JAVA_OPTS) override the properties file, as they do for the services. */
    private static Properties loadConfig() throws IOException {
        Properties config = new Properties();
        Path file = Path.of(System.getProperty("dh.properties", "/etc/sysconfig/deephaven/dh-podman.prop"));
        if (Files.isReadable(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                config.load(in);
            }
        }
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("tls.") || name.startsWith("internal.") || name.startsWith("probe.")) {
                config.setProperty(name, System.getProperty(name));
            }
        }
        return config;
    }

    private static String required(Properties config, String key) throws StartupException {
        String value = config.getProperty(key);
        if (value == null || value.isBlank()) throw new StartupException(key + " is not set");
        return value;
    }

    private static char[] readPassphrase(String path) throws StartupException {
        try {
            String text = Files.readString(Path.of(path), StandardCharsets.UTF_8);
            return text.lines().findFirst().orElse("").toCharArray();
        } catch (IOException e) {
            throw new StartupException(path + ": cannot be read (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static String describeStores(Properties config) {
        StringBuilder text = new StringBuilder();
        for (String key : new String[] {"tls.truststore", "internal.tls.truststore"}) {
            if (config.getProperty(key) != null) text.append(", ").append(key).append(' ').append(config.getProperty(key));
        }
        return text.toString();
    }

    private static String defaultHostname() {
        String fromEnv = System.getenv("HOSTNAME");
        if (fromEnv != null && !fromEnv.isBlank()) return fromEnv;
        try {
            return InetAddress.getLocalHost().getCanonicalHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    private static String queryParameter(String rawQuery, String name) {
        if (rawQuery == null) return null;
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        }
        return null;
    }

    /** The innermost cause says what failed (PKIX path, hostname mismatch, refused). */
    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String outer = e.getClass().getSimpleName() + ": " + e.getMessage();
        return root == e ? outer : outer + " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
        System.out.println(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " " + status);
    }

    private static String json(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        return out.append('"').toString();
    }

    private static final class StartupException extends Exception {
        StartupException(String message) {
            super(message);
        }
    }
}
