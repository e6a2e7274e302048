package io.tedge.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLParameters;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.config.ConfigRegistry;
import io.tedge.config.TedgeConfig;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/** Mutual TLS against a JDK SSLServerSocket that requires a client certificate. */
class TlsContextsTest {
    private static final int TIMEOUT_MS = 20_000;

    @TempDir
    Path dir;

    private final TestPki cloud = TestPki.create("cloud CA");
    private final LiveTrust serverTrust = new LiveTrust();
    private SSLServerSocket server;
    private CompletableFuture<X509Certificate[]> accepted;
    private Path key;
    private Path cert;
    private Path root;

    @BeforeEach
    void setUp() throws Exception {
        new DeviceCertificates(TedgeConfig.load(dir, ConfigRegistry.core())).create("tls-device");
        cert = dir.resolve("device-certs/tedge-certificate.pem");
        key = dir.resolve("device-certs/tedge-private-key.pem");
        root = cloud.writeCaPem(dir.resolve("cloud-ca.pem"));
        serverTrust.add(Fixture.readCert(cert));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (server != null) server.close();
    }

    /** A server on 127.0.0.1 that requires a client certificate, answers one byte, and reports the client chain. */
    private int startServer(SSLContext ctx) throws IOException {
        server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 5, InetAddress.getByName("127.0.0.1"));
        server.setNeedClientAuth(true);
        server.setSoTimeout(TIMEOUT_MS);
        accepted = CompletableFuture.supplyAsync(() -> {
            try (SSLSocket s = (SSLSocket) server.accept()) {
                s.setSoTimeout(TIMEOUT_MS);
                s.startHandshake();
                X509Certificate[] peer = (X509Certificate[]) s.getSession().getPeerCertificates();
                InputStream in = s.getInputStream();
                int b = in.read();
                OutputStream out = s.getOutputStream();
                out.write(b + 1);
                out.flush();
                return peer;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        return server.getLocalPort();
    }

    private int startServer() throws IOException {
        return startServer(TestPki.serverContext(cloud.issueServer("localhost"), serverTrust));
    }

    private static int roundTrip(SSLContext client, String host, int port) throws IOException {
        try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket(host, port)) {
            s.setSoTimeout(TIMEOUT_MS);
            s.startHandshake();
            s.getOutputStream().write(41);
            s.getOutputStream().flush();
            return s.getInputStream().read();
        }
    }

    @Test
    void mutualTlsHandshake() throws Exception {
        int port = startServer();
        assertThat(roundTrip(TlsContexts.mutualTls(key, cert, root), "127.0.0.1", port)).isEqualTo(42);
        X509Certificate[] peer = accepted.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        assertThat(peer).hasSize(1);
        assertThat(peer[0].getSubjectX500Principal().getName()).isEqualTo("OU=Test Device,O=Thin Edge,CN=tls-device");
    }

    @Test
    void mutualTlsByHostName() throws Exception {
        int port = startServer();
        assertThat(roundTrip(TlsContexts.mutualTls(key, cert, root), "localhost", port)).isEqualTo(42);
    }

    @Test
    void serverCertificateOfAnotherCaIsRefused() throws Exception {
        TestPki other = TestPki.create("other CA");
        int port = startServer(TestPki.serverContext(other.issueServer("localhost"), serverTrust));
        assertThatThrownBy(() -> roundTrip(TlsContexts.mutualTls(key, cert, root), "127.0.0.1", port))
                .isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void hostNameIsVerified() throws Exception {
        int port = startServer();
        SSLContext ctx = TlsContexts.mutualTls(key, cert, root);
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "cloud.example.com", port, true)) {
                s.setSoTimeout(TIMEOUT_MS);
                assertThatThrownBy(s::startHandshake).isInstanceOf(SSLHandshakeException.class)
                        .hasMessageContaining("cloud.example.com");
            }
        }
    }

    @Test
    void untrustedDeviceIsRefusedByTheServer() throws Exception {
        serverTrust.clear();
        serverTrust.add(TestPki.selfSignedDevice("tls-device").cert()); // same CN, other key: a rogue
        int port = startServer();
        assertThatThrownBy(() -> roundTrip(TlsContexts.mutualTls(key, cert, root), "127.0.0.1", port)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> accepted.get(TIMEOUT_MS, TimeUnit.MILLISECONDS)).isInstanceOf(ExecutionException.class)
                .hasRootCauseInstanceOf(java.security.cert.CertificateException.class);
    }

    @Test
    void certificateChainIsSentWhole() throws Exception {
        TestPki fleet = TestPki.create("fleet CA");
        TestPki.Issued leaf = fleet.issueClient("fleet-device-1");
        Path chain = leaf.writeChain(dir.resolve("chain.pem"));
        Path leafKey = leaf.writeKey(dir.resolve("leaf-key.pem"));
        serverTrust.clear();
        serverTrust.add(fleet.caCert());
        int port = startServer();
        assertThat(roundTrip(TlsContexts.mutualTls(leafKey, chain, root), "127.0.0.1", port)).isEqualTo(42);
        X509Certificate[] peer = accepted.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        assertThat(peer).hasSize(2);
        assertThat(peer[1]).isEqualTo(fleet.caCert());
    }

    @Test
    void sec1AndRsaKeys() throws Exception {
        TestPki fleet = TestPki.create("fleet CA");
        serverTrust.add(fleet.caCert());
        TestPki.Issued ec = fleet.issueClient("ec-device");
        TestPki.Issued rsa = fleet.issueClient("rsa-device", TestPki.KeyType.RSA_2048);
        Path ecKey = TestPki.write(dir.resolve("ec-sec1.pem"), ec.keyPemTraditional());
        Path rsaKey1 = TestPki.write(dir.resolve("rsa-pkcs1.pem"), rsa.keyPemTraditional());
        Path rsaKey8 = rsa.writeKey(dir.resolve("rsa-pkcs8.pem"));
        assertThat(Files.readString(ecKey)).startsWith("-----BEGIN EC PRIVATE KEY-----");
        assertThat(Files.readString(rsaKey1)).startsWith("-----BEGIN RSA PRIVATE KEY-----");

        int port = startServer();
        assertThat(roundTrip(TlsContexts.mutualTls(ecKey, ec.writeChain(dir.resolve("ec.pem")), root), "127.0.0.1", port)).isEqualTo(42);
        assertThat(accepted.get(TIMEOUT_MS, TimeUnit.MILLISECONDS)[0]).isEqualTo(ec.cert());
        server.close();

        port = startServer();
        Path rsaChain = rsa.writeChain(dir.resolve("rsa.pem"));
        assertThat(roundTrip(TlsContexts.mutualTls(rsaKey1, rsaChain, root), "127.0.0.1", port)).isEqualTo(42);
        assertThat(accepted.get(TIMEOUT_MS, TimeUnit.MILLISECONDS)[0]).isEqualTo(rsa.cert());
        server.close();

        port = startServer();
        assertThat(roundTrip(TlsContexts.mutualTls(rsaKey8, rsaChain, root), "127.0.0.1", port)).isEqualTo(42);
    }

    @Test
    void trustOnlyContextConnectsWithoutClientCertificate() throws Exception {
        SSLContext serverCtx = TestPki.serverContext(cloud.issueServer("localhost"), serverTrust);
        server = (SSLServerSocket) serverCtx.getServerSocketFactory().createServerSocket(0, 5, InetAddress.getByName("127.0.0.1"));
        server.setSoTimeout(TIMEOUT_MS);
        CompletableFuture<Boolean> done = CompletableFuture.supplyAsync(() -> {
            try (SSLSocket s = (SSLSocket) server.accept()) {
                s.setSoTimeout(TIMEOUT_MS);
                s.getOutputStream().write(s.getInputStream().read() + 1);
                return true;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(roundTrip(TlsContexts.trustOnly(root), "localhost", server.getLocalPort())).isEqualTo(42);
        assertThat(done.get(TIMEOUT_MS, TimeUnit.MILLISECONDS)).isTrue();
    }

    @Test
    void onlyTls12And13AndHostNameVerification() throws Exception {
        SSLContext ctx = TlsContexts.mutualTls(key, cert, root);
        assertThat(ctx.getDefaultSSLParameters().getProtocols()).containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
        assertThat(ctx.getSupportedSSLParameters().getProtocols()).isSubsetOf("TLSv1.3", "TLSv1.2");
        assertThat(ctx.getDefaultSSLParameters().getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
            SSLParameters p = s.getSSLParameters();
            assertThat(p.getProtocols()).isSubsetOf("TLSv1.3", "TLSv1.2");
            assertThat(p.getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
        }
        assertThat(ctx.createSSLEngine("h", 1).getSSLParameters().getProtocols()).isSubsetOf("TLSv1.3", "TLSv1.2");
        assertThat(ctx.createSSLEngine("h", 1).getSSLParameters().getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
    }

    @Test
    void forCloudUsesTheConfiguration() throws Exception {
        TedgeConfig cfg = Fixture.config(dir, "az.root.cert.path", root.toString());
        int port = startServer();
        assertThat(roundTrip(TlsContexts.forCloud(cfg, "az"), "127.0.0.1", port)).isEqualTo(42);
    }

    @Test
    void trustAnchorsFromAFolderSkipOtherFiles() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("certs"));
        cloud.writeCaPem(folder.resolve("cloud.pem"));
        TestPki other = TestPki.create("other");
        Files.writeString(folder.resolve("two.crt"), other.caPem() + TestPki.create("third").caPem());
        Files.writeString(folder.resolve("README"), "not a certificate");
        Files.writeString(folder.resolve("broken.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        Files.write(folder.resolve("binary.bin"), new byte[] {0, 1, 2, 3});
        Files.createDirectories(folder.resolve("sub"));
        Files.createSymbolicLink(folder.resolve("link.pem"), folder.resolve("cloud.pem"));
        Files.createSymbolicLink(folder.resolve("dangling.pem"), folder.resolve("missing.pem"));
        List<X509Certificate> anchors = TlsContexts.trustAnchors(folder);
        assertThat(anchors).hasSize(3).contains(cloud.caCert(), other.caCert());

        int port = startServer();
        assertThat(roundTrip(TlsContexts.mutualTls(key, cert, folder), "127.0.0.1", port)).isEqualTo(42);
    }

    @Test
    void trustAnchorsFromAFileWithSeveralCertificates() throws Exception {
        Path bundle = TestPki.write(dir.resolve("bundle.pem"), "# comment\n" + TestPki.create("a").caPem() + "\n" + cloud.caPem());
        assertThat(TlsContexts.trustAnchors(bundle)).hasSize(2).contains(cloud.caCert());
        int port = startServer();
        assertThat(roundTrip(TlsContexts.mutualTls(key, cert, bundle), "127.0.0.1", port)).isEqualTo(42);
    }

    @Test
    void errors() throws Exception {
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> TlsContexts.mutualTls(missing, cert, root)).isInstanceOf(CertException.class)
                .hasMessage("No private key has been attached to that device.\n Missing file: " + missing
                        + "\n Run `tedge cert create` to generate a new key and certificate.");
        assertThatThrownBy(() -> TlsContexts.mutualTls(key, missing, root))
                .hasMessage("No certificate has been attached to that device.\n Missing file: " + missing
                        + "\n Run `tedge cert create` to generate a new certificate.");
        assertThatThrownBy(() -> TlsContexts.mutualTls(key, cert, missing))
                .hasMessage("The trusted root certificate path " + missing + " does not exist.");
        assertThatThrownBy(() -> TlsContexts.trustOnly(missing)).hasMessage("The trusted root certificate path " + missing + " does not exist.");

        Path empty = TestPki.write(dir.resolve("empty.pem"), "nothing here\n");
        assertThatThrownBy(() -> TlsContexts.trustOnly(empty))
                .hasMessage("No certificate found in " + empty + " (expected PEM blocks BEGIN CERTIFICATE).");
        Path emptyDir = Files.createDirectories(dir.resolve("empty-dir"));
        assertThatThrownBy(() -> TlsContexts.trustOnly(emptyDir)).hasMessageStartingWith("No certificate found in " + emptyDir);

        Path notKey = TestPki.write(dir.resolve("not-a-key.pem"), cloud.caPem());
        assertThatThrownBy(() -> TlsContexts.mutualTls(notKey, cert, root))
                .hasMessage("The file " + notKey + " holds no private key in PEM format "
                        + "(expected BEGIN PRIVATE KEY, BEGIN EC PRIVATE KEY or BEGIN RSA PRIVATE KEY).");
        Path garbage = TestPki.write(dir.resolve("garbage.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> TlsContexts.mutualTls(garbage, cert, root)).hasMessageStartingWith("The file " + garbage + " holds no private key");

        Path otherKey = TestPki.selfSignedDevice("x").writeKey(dir.resolve("other-key.pem"));
        assertThatThrownBy(() -> TlsContexts.mutualTls(otherKey, cert, root))
                .hasMessage("The private key " + otherKey + " does not belong to the certificate " + cert + ".");

        Path noCert = TestPki.write(dir.resolve("no-cert.pem"), "x");
        assertThatThrownBy(() -> TlsContexts.mutualTls(key, noCert, root))
                .hasMessage("No certificate found in " + noCert + " (expected a PEM block BEGIN CERTIFICATE).");
    }

    @Test
    void forCloudNamesTheRootKey() throws Exception {
        Path missing = dir.resolve("nowhere");
        TedgeConfig cfg = Fixture.config(dir, "c8y.root.cert.path", missing.toString());
        assertThatThrownBy(() -> TlsContexts.forCloud(cfg, "c8y"))
                .hasMessage("The trusted root certificate path " + missing + " does not exist.\n"
                        + "Check c8y.root.cert.path (`tedge config get c8y.root.cert.path`).");
    }

    @Test
    void aServerThatRequiresAClientCertificateRefusesATrustOnlyClient() throws Exception {
        int port = startServer();
        assertThatThrownBy(() -> roundTrip(TlsContexts.trustOnly(root), "127.0.0.1", port)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> accepted.get(TIMEOUT_MS, TimeUnit.MILLISECONDS)).isInstanceOf(ExecutionException.class)
                .hasRootCauseInstanceOf(SSLException.class);
    }
}
