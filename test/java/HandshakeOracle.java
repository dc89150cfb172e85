import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Judges many TLS volumes in one JVM: for each case a Java server presents the case's
 * server.p12 on loopback and a Java client that trusts only the case's ca.pem connects with SNI
 * and HTTPS hostname verification, the way Deephaven's services talk to each other.
 *   java HandshakeOracle.java CORPUS_DIR   (reads CORPUS_DIR/cases.txt: "NAME HOST ...")
 * Prints one line per case: "NAME OK" or "NAME FAIL <reason>".
 */
public class HandshakeOracle {
    public static void main(String[] args) throws Exception {
        Path corpus = Path.of(args[0]);
        for (String line : Files.readAllLines(corpus.resolve("cases.txt"))) {
            if (line.isBlank()) continue;
            String[] parts = line.trim().split("\\s+");
            String verdict;
            try {
                verdict = handshake(corpus.resolve("cases").resolve(parts[0]), parts[1]);
            } catch (Throwable e) {
                verdict = "FAIL " + describe(e);
            }
            System.out.println(parts[0] + " " + verdict);
        }
    }

    /**
     * A handshake that fails does so with an alert at once; a read timeout only ever meant a busy
     * machine (2 cores shared by several test runs), which must not pass for a refusal.
     */
    static final int READ_TIMEOUT_MS = 30_000;

    static String handshake(Path dir, String host) throws Exception {
        char[] password = "changeit".toCharArray();
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(dir.resolve("server.p12").toFile())) {
            keyStore.load(in, password);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(keyStore, password);
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(keys.getKeyManagers(), null, null);

        KeyStore trustStore = KeyStore.getInstance(KeyStore.getDefaultType());
        trustStore.load(null, null);
        int index = 0;
        try (InputStream in = new FileInputStream(dir.resolve("ca.pem").toFile())) {
            for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trustStore.setCertificateEntry("ca" + index++, cert);
            }
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trustStore);
        SSLContext clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, trust.getTrustManagers(), null);

        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (SSLServerSocket server = (SSLServerSocket) serverContext.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Future<?> accepted = executor.submit(() -> {
                try (SSLSocket socket = (SSLSocket) server.accept()) {
                    socket.setSoTimeout(READ_TIMEOUT_MS);
                    socket.startHandshake();
                    socket.getInputStream().read();
                } catch (Exception ignored) {
                    // the client's side says what went wrong
                }
                return null;
            });
            // Layered over a plain socket so the peer host is the case's name, not "localhost".
            java.net.Socket plain = new java.net.Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
            try (SSLSocket client = (SSLSocket) clientContext.getSocketFactory().createSocket(plain, host, server.getLocalPort(), true)) {
                client.setSoTimeout(READ_TIMEOUT_MS);
                SSLParameters parameters = client.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                parameters.setServerNames(List.of(new SNIHostName(host)));
                client.setSSLParameters(parameters);
                client.startHandshake();
                String protocol = client.getSession().getProtocol();
                client.getOutputStream().write(1);
                return "OK " + protocol;
            } finally {
                accepted.get(10, TimeUnit.SECONDS);
            }
        } finally {
            executor.shutdownNow();
        }
    }

    static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        return (e.getClass().getSimpleName() + ": " + e.getMessage() + (root != e ? " / " + root.getMessage() : "")).replace('\n', ' ');
    }
}
