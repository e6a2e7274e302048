package io.tedge.certs.internal;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

import io.tedge.certs.CertException;
import io.tedge.certs.UploadResult;

/**
 * The two Cumulocity REST calls of {@code tedge cert upload c8y}: the tenant id from
 * {@code GET /tenant/currentTenant}, then {@code POST /tenant/tenants/<id>/trusted-certificates}.
 * HTTPS only, trusting the anchors of {@code c8y.root.cert.path}, host name verified. The password
 * goes into the Authorization header and nowhere else.
 */
public final class C8yClient {
    public static final String ROOT_KEY = "c8y.root.cert.path";
    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9._~-]+");

    private final String hostPort;
    private final Path rootCertPath;
    private final Duration timeout;

    public C8yClient(String hostPort, Path rootCertPath, Duration timeout) {
        this.hostPort = hostPort;
        this.rootCertPath = rootCertPath;
        this.timeout = timeout;
    }

    /** The URL of the current-tenant call ({@code https://<host:port>/tenant/currentTenant}). */
    public static URI tenantUrl(String hostPort) throws CertException {
        return url(hostPort, "/tenant/currentTenant");
    }

    /** The URL of the upload ({@code https://<host:port>/tenant/tenants/<id>/trusted-certificates}). */
    public static URI uploadUrl(String hostPort, String tenant) throws CertException {
        if (!TENANT.matcher(tenant).matches()) {
            throw new CertException("The tenant id '" + tenant + "' returned by " + hostPort + " is not valid.");
        }
        return url(hostPort, "/tenant/tenants/" + tenant + "/trusted-certificates");
    }

    private static URI url(String hostPort, String path) throws CertException {
        try {
            URI u = new URI("https://" + hostPort + path);
            if (u.getHost() == null || u.getRawUserInfo() != null || !path.equals(u.getRawPath())) throw new IllegalArgumentException();
            return u;
        } catch (Exception e) {
            throw new CertException("Invalid Cumulocity address '" + hostPort + "': expected host or host:port, eg: 'mytenant.cumulocity.com:443'.");
        }
    }

    public UploadResult upload(String user, char[] password, String deviceId, String certPem) throws CertException {
        URI tenantUrl = tenantUrl(hostPort);
        SSLContext ctx = TlsSupport.clientContext(new KeyManager[0], Anchors.load(rootCertPath, ROOT_KEY));
        HttpClient client = HttpClient.newBuilder()
                .sslContext(ctx)
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(timeout)
                .build();
        String auth = basic(user, password);

        HttpResponse<String> r = send(client, HttpRequest.newBuilder(tenantUrl).timeout(timeout)
                .header("Authorization", auth).header("Accept", "application/json").GET().build());
        switch (r.statusCode()) {
            case 200 -> {
            }
            case 401 -> throw unauthorized(user);
            case 403 -> throw forbidden(user);
            case 404 -> throw new CertException("Not found (404): " + hostPort + " has no /tenant/currentTenant endpoint. "
                    + "Check that c8y.url is the address of your Cumulocity tenant.");
            default -> throw otherStatus(r, "GET", tenantUrl);
        }
        String tenant = JsonText.stringField(r.body(), "name");
        if (tenant == null || tenant.isEmpty()) {
            throw new CertException("The answer of " + hostPort + " to GET /tenant/currentTenant has no tenant id (field `name`).");
        }

        URI uploadUrl = uploadUrl(hostPort, tenant);
        Map<String, Object> upload = new LinkedHashMap<>();
        upload.put("name", deviceId);
        upload.put("certInPemFormat", certPem);
        upload.put("autoRegistrationEnabled", true);
        upload.put("status", "ENABLED");
        String body = JsonText.object(upload);
        r = send(client, HttpRequest.newBuilder(uploadUrl).timeout(timeout)
                .header("Authorization", auth)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build());
        return switch (r.statusCode()) {
            case 200, 201 -> UploadResult.UPLOADED;
            case 409 -> UploadResult.ALREADY_EXISTS;
            case 401 -> throw unauthorized(user);
            case 403 -> throw forbidden(user);
            case 404 -> throw new CertException("Not found (404): " + hostPort + " has no tenant '" + tenant
                    + "' or no trusted-certificates endpoint (POST " + uploadUrl.getPath() + "). Check c8y.url.");
            case 422 -> {
                String msg = JsonText.stringField(r.body(), "message");
                throw new CertException("Cumulocity refused the certificate (422 Unprocessable Entity)"
                        + (msg == null || msg.isBlank() ? "." : ": " + msg));
            }
            default -> throw otherStatus(r, "POST", uploadUrl);
        };
    }

    private CertException unauthorized(String user) {
        return new CertException("Authentication failed (401 Unauthorized): " + hostPort + " refused the user '" + user
                + "' or its password.\nCheck the user name (some hosts want it with the tenant id: <tenant>/" + user + ") and the password.");
    }

    private CertException forbidden(String user) {
        return new CertException("Access denied (403 Forbidden): the user '" + user + "' may not add trusted certificates on "
                + hostPort + "; it needs the 'Tenant management' admin permission.");
    }

    private static CertException otherStatus(HttpResponse<String> r, String method, URI url) {
        String msg = JsonText.stringField(r.body(), "message");
        return new CertException("Request returned with code: " + r.statusCode() + " (" + method + " " + url + ")"
                + (msg == null || msg.isBlank() ? "" : ": " + msg));
    }

    private HttpResponse<String> send(HttpClient client, HttpRequest req) throws CertException {
        try {
            return client.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CertException("Interrupted while talking to " + hostPort + ".");
        } catch (IOException e) {
            throw failure(e);
        }
    }

    /** A user-facing text for a network or TLS failure. Never includes request headers. */
    CertException failure(IOException e) {
        SSLException ssl = find(e, SSLException.class);
        if (ssl != null) {
            String m = String.valueOf(deepest(e).getMessage());
            String reason;
            if (m.contains("No subject alternative") || m.contains("No name matching")) {
                reason = "it is not issued for this host name (" + m + ")";
            } else if (find(e, CertPathBuilderException.class) != null || find(e, CertPathValidatorException.class) != null
                    || find(e, CertificateException.class) != null) {
                reason = "no trusted root certificate signed it (" + m + ")";
            } else {
                return new CertException("The TLS handshake with " + hostPort + " failed: " + ssl.getMessage()
                        + "\nCheck that " + hostPort + " is an HTTPS endpoint, and " + ROOT_KEY + " (" + rootCertPath + ").");
            }
            return new CertException("The server certificate of " + hostPort + " is not trusted: " + reason
                    + ".\nCheck " + ROOT_KEY + " (" + rootCertPath + "): it must hold the root certificate(s) of the server's certificate chain.");
        }
        if (find(e, UnresolvedAddressException.class) != null || find(e, UnknownHostException.class) != null) {
            return new CertException("Cannot connect to " + hostPort + ": unknown host.");
        }
        if (find(e, HttpConnectTimeoutException.class) != null) {
            return new CertException("Cannot connect to " + hostPort + ": timed out after " + timeout.toSeconds() + " s.");
        }
        if (find(e, HttpTimeoutException.class) != null) {
            return new CertException("No answer from " + hostPort + " within " + timeout.toSeconds() + " s.");
        }
        if (find(e, ConnectException.class) != null) {
            return new CertException("Cannot connect to " + hostPort + ": connection refused.");
        }
        return new CertException("The connection to " + hostPort + " failed: " + Texts.reason(deepest(e)));
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (int depth = 0; t != null && depth < 20; t = t.getCause(), depth++) {
            if (type.isInstance(t)) return type.cast(t);
        }
        return null;
    }

    private static Throwable deepest(Throwable t) {
        Throwable last = t;
        for (int depth = 0; t != null && depth < 20; t = t.getCause(), depth++) {
            if (t.getMessage() != null) last = t;
        }
        return last;
    }

    /** {@code Basic base64(user:password)}; the intermediate bytes are wiped. */
    static String basic(String user, char[] password) {
        ByteBuffer pw = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password == null ? new char[0] : password));
        byte[] u = (user + ":").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[u.length + pw.remaining()];
        System.arraycopy(u, 0, all, 0, u.length);
        pw.get(all, u.length, pw.remaining());
        try {
            return "Basic " + Base64.getEncoder().encodeToString(all);
        } finally {
            Arrays.fill(all, (byte) 0);
            if (pw.hasArray()) Arrays.fill(pw.array(), (byte) 0);
        }
    }
}
