import java.io.FileInputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A Java TLS client that trusts ONLY the given PKCS#12 truststore, with HTTPS hostname
 * verification for HOST while connecting to ADDRESS:PORT (so tests need no DNS).
 *   java TruststoreClient.java TRUSTSTORE PASSWORD_FILE ADDRESS PORT HOST
 * Prints "HANDSHAKE OK <protocol>" (exit 0) or "HANDSHAKE FAILED <reason>" (exit 1).
 */
public class TruststoreClient {
    public static void main(String[] args) throws Exception {
        char[] password = Files.readString(Path.of(args[1])).lines().findFirst().orElse("").toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(args[0])) {
            store.load(in, password);
        }
        System.out.println("ENTRIES " + store.size());
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        String host = args[4];
        try (Socket plain = new Socket(args[2], Integer.parseInt(args[3]));
             SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, host, plain.getPort(), true)) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            parameters.setServerNames(List.of(new SNIHostName(host)));
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            System.out.println("HANDSHAKE OK " + socket.getSession().getProtocol());
        } catch (Exception e) {
            System.out.println("HANDSHAKE FAILED " + e.getClass().getSimpleName() + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
