import java.io.FileInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A Java TLS server that presents the key and chain of a PKCS#12 keystore, proving Java reads
 * both from it. Listens on 127.0.0.1 (port chosen by the system), prints "LISTENING <port>",
 * answers each connection with one line, until killed.
 *   java KeystoreServer.java KEYSTORE PASSPHRASE_FILE
 */
public class KeystoreServer {
    public static void main(String[] args) throws Exception {
        char[] passphrase = Files.readString(Path.of(args[1])).lines().findFirst().orElse("").toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(args[0])) {
            store.load(in, passphrase);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, passphrase);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        try (SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            System.out.println("LISTENING " + server.getLocalPort());
            System.out.flush();
            while (true) {
                try (SSLSocket socket = (SSLSocket) server.accept()) {
                    socket.startHandshake();
                    OutputStream out = socket.getOutputStream();
                    out.write("hello from the keystore\n".getBytes());
                    out.flush();
                    InputStream in = socket.getInputStream();
                    socket.setSoTimeout(2000);
                    try {
                        in.read();
                    } catch (Exception ignored) {
                        // the client closes when it has its answer
                    }
                } catch (Exception e) {
                    System.out.println("CONNECTION FAILED " + e.getMessage());
                }
            }
        }
    }
}
