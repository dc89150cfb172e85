import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A TLS client that trusts exactly what the JVM trusts by default (the image's cacerts), with
 * HTTPS hostname verification on. Run inside an image: java SystemTrustHandshake.java HOST PORT
 * Prints "HANDSHAKE OK <protocol>" and exits 0, or "HANDSHAKE FAILED <reason>" and exits 1.
 */
public class SystemTrustHandshake {
    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        SSLSocketFactory factory = (SSLSocketFactory) SSLSocketFactory.getDefault();
        try (SSLSocket socket = (SSLSocket) factory.createSocket(host, port)) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            System.out.println("HANDSHAKE OK " + socket.getSession().getProtocol());
        } catch (Exception e) {
            System.out.println("HANDSHAKE FAILED " + e.getClass().getSimpleName() + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
