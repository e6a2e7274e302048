package io.tedge.agent.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import io.tedge.agent.FileOps;
import io.tedge.certs.TlsContexts;

/**
 * Downloads a module or configuration file over HTTP(S) to a file.
 *
 * <ul>
 * <li>The tenant's JWT ({@code Authorization: Bearer}) is sent only over HTTPS and only to the
 * tenant's own host ({@code c8y.url} or {@code c8y.http}); for any other URL it is dropped.</li>
 * <li>TLS trusts the JVM's roots and those of {@code c8y.root.cert.path}; host names are verified.</li>
 * <li>Up to 3 attempts, 2 s and 4 s apart, on network errors, 429 and 5xx; any other status fails
 * at once with the status in the message.</li>
 * <li>Bounded: {@code maxBytes}, and {@code timeout} per attempt.</li>
 * </ul>
 */
public final class Downloader {
    private static final int ATTEMPTS = 3;

    private final Settings settings;
    private final HttpClient client;
    private final Duration timeout;
    private final long retryMillis;

    public Downloader(Settings settings, Duration timeout) throws IOException {
        this(settings, timeout, 2000);
    }

    Downloader(Settings settings, Duration timeout, long retryMillis) throws IOException {
        this.settings = settings;
        this.timeout = timeout;
        this.retryMillis = retryMillis;
        this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30))
                .followRedirects(HttpClient.Redirect.NEVER).sslContext(sslContext(settings.rootCerts())).build();
    }

    /** Whether a JWT may go to this URL. */
    public boolean tenantUrl(URI url) {
        return "https".equalsIgnoreCase(url.getScheme()) && url.getHost() != null
                && settings.tenantHosts().contains(url.getHost().toLowerCase(java.util.Locale.ROOT));
    }

    /** Downloads {@code url} to {@code target} (replaced atomically). */
    public void download(String url, String bearer, Path target, long maxBytes) throws IOException, InterruptedException {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IOException("Invalid URL " + url + ": " + e.getMessage());
        }
        if (!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme())) {
            throw new IOException("Cannot download " + url + ": only http and https URLs are supported");
        }
        HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(timeout).GET();
        if (bearer != null && tenantUrl(uri)) rb.header("Authorization", "Bearer " + bearer);
        HttpRequest req = rb.build();
        IOException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            if (attempt > 1) Thread.sleep(retryMillis << (attempt - 2));
            try {
                HttpResponse<InputStream> resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream body = resp.body()) {
                    int s = resp.statusCode();
                    if (s == 200) {
                        FileOps.replace(target, body, maxBytes, null, null, null);
                        return;
                    }
                    last = new IOException("Download of " + url + " failed: HTTP status " + s);
                    if (s != 429 && s < 500) throw last;
                }
            } catch (java.net.ConnectException | java.net.http.HttpTimeoutException e) {
                last = new IOException("Download of " + url + " failed: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : " " + e.getMessage()));
            } catch (IOException e) {
                if (e == last) throw e;
                last = new IOException("Download of " + url + " failed: " + e.getMessage(), e);
                if (e.getMessage() != null && e.getMessage().contains("larger than")) throw last;
            }
        }
        throw last;
    }

    static SSLContext sslContext(Path roots) throws IOException {
        try {
            TrustManagerFactory jvm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jvm.init((KeyStore) null);
            List<X509TrustManager> managers = new ArrayList<>();
            for (TrustManager t : jvm.getTrustManagers()) {
                if (t instanceof X509TrustManager x) managers.add(x);
            }
            if (roots != null && Files.exists(roots)) {
                try {
                    KeyStore ks = KeyStore.getInstance("PKCS12");
                    ks.load(null, null);
                    int i = 0;
                    for (X509Certificate c : TlsContexts.trustAnchors(roots)) ks.setCertificateEntry("root" + i++, c);
                    TrustManagerFactory own = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                    own.init(ks);
                    for (TrustManager t : own.getTrustManagers()) {
                        if (t instanceof X509TrustManager x) managers.add(x);
                    }
                } catch (Exception e) {
                    org.slf4j.LoggerFactory.getLogger(Downloader.class).warn("Cannot read the roots of {}: {}", roots, e.getMessage());
                }
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new AnyOf(managers)}, null);
            return ctx;
        } catch (Exception e) {
            throw new IOException("Cannot set up TLS for downloads: " + e.getMessage(), e);
        }
    }

    /** Trusts a server chain when one of the managers does. */
    private record AnyOf(List<X509TrustManager> managers) implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("not a server");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            java.security.cert.CertificateException first = null;
            for (X509TrustManager m : managers) {
                try {
                    m.checkServerTrusted(chain, authType);
                    return;
                } catch (java.security.cert.CertificateException e) {
                    if (first == null) first = e;
                }
            }
            throw first != null ? first : new java.security.cert.CertificateException("no trusted roots");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            List<X509Certificate> all = new ArrayList<>();
            for (X509TrustManager m : managers) all.addAll(List.of(m.getAcceptedIssuers()));
            return all.toArray(new X509Certificate[0]);
        }
    }
}
